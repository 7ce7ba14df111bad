using System.Collections.Concurrent;

namespace Provisioning.Application.Common.Logging;

/// <summary>
/// Whether a fault has been logged already: a fault is logged once, where the most is known of it (the message being
/// handled), not again by an outer handler or an outer message's pipeline. And whether its stack trace is worth logging
/// again: during a database outage every request fails the same way, and 2,700 identical traces (16 MB in 7 s, a probe)
/// bury the one line that matters; each failure is still one Error line, with its request id.
/// </summary>
public static class FaultLog
{
    private const string Key = "Provisioning.FaultLogged";

    /// <summary>How long after a fault's stack trace the same kind of fault is logged without one.</summary>
    public static readonly TimeSpan StackEvery = TimeSpan.FromMinutes(1);

    private static readonly ConcurrentDictionary<string, long> StackLoggedAt = new();

    /// <summary>
    /// True for the first fault of its kind (its type, and its innermost exception's type, method and message) in
    /// <see cref="StackEvery"/>: log it with its stack trace; false for the repeats, logged with <see cref="Reason"/> only.
    /// </summary>
    public static bool WantsStackTrace(Exception exception)
    {
        // Where it was thrown too: two bugs with one text (two NullReferenceExceptions) are two kinds, each with its trace.
        var innermost = Cause(exception);
        var kind = $"{exception.GetType().FullName}|{innermost.GetType().FullName}|{innermost.TargetSite?.DeclaringType?.FullName}.{innermost.TargetSite?.Name}|{innermost.Message}";
        var now = Environment.TickCount64;
        if (StackLoggedAt.Count >= 1000)
        {
            StackLoggedAt.Clear(); // bounded: kinds whose message varies would otherwise pile up
        }

        // Claimed atomically: two faults of one kind at once both logged the trace when it was read, then set (a probe: two
        // identical 57P01 traces 30 ms apart).
        while (true)
        {
            if (!StackLoggedAt.TryGetValue(kind, out var last))
            {
                if (StackLoggedAt.TryAdd(kind, now))
                {
                    return true;
                }
            }
            else if (now - last < (long)StackEvery.TotalMilliseconds)
            {
                return false;
            }
            else if (StackLoggedAt.TryUpdate(kind, now, last))
            {
                return true;
            }
        }
    }

    /// <summary>
    /// What a fault's line says of it: the innermost exception's message, its first line only (one line per fault: Npgsql's
    /// message of a PostgreSQL error goes on with its DETAIL and a hint about "Include Error Detail", which the service must
    /// not turn on — a detail can hold a row's values). A bare timeout says nothing of what timed out, so the exception
    /// around it is said first: "The connection pool has been exhausted, …" was lost behind "The operation has timed out",
    /// and a command waiting on a lock read "Timeout during reading attempt" alone (a probe).
    /// </summary>
    public static string Reason(Exception exception)
    {
        var innermost = Cause(exception);
        var said = $"{innermost.GetType().Name}: {FirstLine(innermost.Message)}";
        if (innermost is not TimeoutException)
        {
            return said;
        }

        for (var e = exception; e.InnerException is not null; e = e.InnerException)
        {
            if (e.InnerException == innermost)
            {
                return $"{e.GetType().Name}: {FirstLine(e.Message)} ({said})";
            }
        }

        return said;
    }

    /// <summary>
    /// What a fault is said and counted as: its innermost exception (the outermost is often a wrapper's, EF Core's
    /// InvalidOperationException around every outage). Its line here, and its <c>error.type</c> on the request's metric.
    /// </summary>
    public static Exception Cause(Exception exception) => exception.GetBaseException();

    private static string FirstLine(string message) => message.AsSpan().IndexOfAny('\r', '\n') is var end and >= 0 ? message[..end] : message;

    public static bool IsLogged(Exception exception) => exception.Data.Contains(Key);

    public static void MarkLogged(Exception exception)
    {
        if (!exception.Data.IsReadOnly)
        {
            exception.Data[Key] = true;
        }
    }
}
