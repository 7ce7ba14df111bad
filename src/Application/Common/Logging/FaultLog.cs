namespace Provisioning.Application.Common.Logging;

/// <summary>
/// Whether a fault has been logged already: a fault is logged once, where the most is known of it (the message being
/// handled), not again by an outer handler or an outer message's pipeline; and what its line says of it. Which line it
/// gets (with its stack trace, without, or only counted) is <see cref="FaultLines"/>'.
/// </summary>
public static class FaultLog
{
    private const string Key = "Provisioning.FaultLogged";

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

    /// <summary>A message's first line (PostgreSQL's goes on with its DETAIL and hints).</summary>
    public static string FirstLine(string message) => message.AsSpan().IndexOfAny('\r', '\n') is var end and >= 0 ? message[..end] : message;

    public static bool IsLogged(Exception exception) => exception.Data.Contains(Key);

    public static void MarkLogged(Exception exception)
    {
        if (!exception.Data.IsReadOnly)
        {
            exception.Data[Key] = true;
        }
    }
}
