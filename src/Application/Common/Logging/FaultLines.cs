using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Provisioning.Application.Common.Logging;

/// <summary>
/// Which line a fault gets, so that a flood of one failure does not become a flood of lines. A fault's kind is its answer's
/// status, its exception's type, and its innermost exception's type, method and message (two bugs with one text are two
/// kinds). The first of a kind in a minute is logged with its stack trace, the next ones up to
/// <see cref="OwnLinesPerMinute"/> with their reason and request id, no trace (<see cref="OwnLines"/>); past them, they are
/// counted and said at most once a minute in one Error line of this category: <c>Request failed with 503 (reason) N more
/// time(s) since …</c> (<see cref="OnceEvery"/>). During a database outage every request fails the same few ways: a line
/// each was 2,700 identical stack traces (16 MB in 7 s, a probe), then, without them, still a line per request (thousands a
/// second under load). Every failure is still counted, by the request metrics' <c>error.type</c>. A singleton; disposed at
/// shutdown, it says what it still holds back.
/// </summary>
public sealed class FaultLines(TimeProvider clock, ILogger<FaultLines> logger) : IDisposable
{
    /// <summary>How many faults of one kind get a line of their own in a minute.</summary>
    public const int OwnLinesPerMinute = 10;

    /// <summary>Kinds kept at most: kinds whose message varies would otherwise pile up.</summary>
    private const int MostKinds = 1000;

    private readonly ConcurrentDictionary<string, Kind> _kinds = new(StringComparer.Ordinal);

    /// <summary>
    /// The line <paramref name="exception"/>, answered <paramref name="status"/>, gets; when none of its own
    /// (<see cref="FaultLine.Counted"/>), it is counted, and the count said when due.
    /// </summary>
    public FaultLine Next(Exception exception, int status)
    {
        var innermost = FaultLog.Cause(exception);
        var key = $"{status}|{exception.GetType().FullName}|{innermost.GetType().FullName}|{innermost.TargetSite?.DeclaringType?.FullName}.{innermost.TargetSite?.Name}|{innermost.Message}";
        if (!_kinds.TryGetValue(key, out var kind))
        {
            if (_kinds.Count >= MostKinds)
            {
                Forget();
            }

            kind = _kinds.GetOrAdd(key, static (_, clock) => new Kind(clock), clock);
        }

        switch (kind.Own.Take())
        {
            case 1:
                return FaultLine.WithStackTrace;
            case > 1:
                return FaultLine.WithoutStackTrace;
        }

        var reason = FaultLog.Reason(exception);
        kind.Rest.Say((count, since) => logger.LogError(
            "Request failed with {Status} ({Reason}) {Count} more time(s) since {Since:u}, without a line each (the first {OwnLines} of a kind a minute have one, with the request id)",
            status, reason, count, since, OwnLinesPerMinute));
        return FaultLine.Counted;
    }

    public void Dispose() => Forget();

    /// <summary>Says what every kind holds back, and forgets them.</summary>
    private void Forget()
    {
        foreach (var key in _kinds.Keys)
        {
            if (_kinds.TryRemove(key, out var kind))
            {
                kind.Rest.Dispose();
            }
        }
    }

    private sealed class Kind(TimeProvider clock)
    {
        public OwnLines Own { get; } = new(clock, OwnLinesPerMinute);

        public OnceEvery Rest { get; } = new(clock);
    }
}
