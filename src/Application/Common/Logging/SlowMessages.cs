using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Provisioning.Application.Common.Logging;

/// <summary>
/// Messages whose handler took longer than <see cref="Threshold"/> (timed by <c>PerformanceBehavior</c>), said at Warning:
/// each in a line of its own, with its request's scopes (request id, tenant, key), up to <see cref="OwnLinesPerMinute"/> of
/// a message type a minute; past that, those of the type are counted and said at most once a minute (<see cref="OnceEvery"/>)
/// with how many and the slowest. Under overload every request is slow, and a line each was a line per request (hundreds
/// a second). A singleton; disposed at shutdown, it says what it still holds back.
/// </summary>
public sealed class SlowMessages(TimeProvider clock, ILogger<SlowMessages> logger) : IDisposable
{
    public static readonly TimeSpan Threshold = TimeSpan.FromMilliseconds(500);

    /// <summary>How many of one message type are said each with its own line in a minute.</summary>
    public const int OwnLinesPerMinute = 10;

    // One per message type: a closed set (the application's messages), so bounded.
    private readonly ConcurrentDictionary<Type, Slowest> _byType = new();

    /// <summary>Notes that a <paramref name="messageType"/> took <paramref name="elapsed"/>; says it when over <see cref="Threshold"/>.</summary>
    public void Took(Type messageType, TimeSpan elapsed)
    {
        if (elapsed <= Threshold)
        {
            return;
        }

        var slowest = _byType.GetOrAdd(messageType, static (_, clock) => new Slowest(clock), clock);
        var milliseconds = (long)elapsed.TotalMilliseconds;
        if (slowest.MaySayOwn())
        {
            logger.LogWarning("{MessageType} took {ElapsedMilliseconds} ms", messageType.Name, milliseconds);
            return;
        }

        slowest.Note(milliseconds);
        slowest.Rest.Say((_, since) =>
        {
            // Counted here, with the slowest, under one lock (the line's own count may differ by one noted, not yet counted).
            var (count, most) = slowest.Take();
            if (count > 0)
            {
                logger.LogWarning(
                    "{MessageType} took more than {ThresholdMilliseconds} ms {Count} more time(s) since {Since:u}, the slowest {ElapsedMilliseconds} ms",
                    messageType.Name, (long)Threshold.TotalMilliseconds, count, since, most);
            }
        });
    }

    public void Dispose()
    {
        foreach (var slowest in _byType.Values)
        {
            slowest.Rest.Dispose();
        }
    }

    /// <summary>A type's own lines this minute, and those past them: how many, and the slowest.</summary>
    private sealed class Slowest(TimeProvider clock)
    {
        private readonly Lock _gate = new();
        private readonly OwnLines _own = new(clock, OwnLinesPerMinute);
        private long _count;
        private long _most;

        public OnceEvery Rest { get; } = new(clock);

        /// <summary>True for the first <see cref="OwnLinesPerMinute"/> in a minute (from the first of them).</summary>
        public bool MaySayOwn() => _own.Take() > 0;

        public void Note(long milliseconds)
        {
            lock (_gate)
            {
                _count++;
                _most = Math.Max(_most, milliseconds);
            }
        }

        public (long Count, long Most) Take()
        {
            lock (_gate)
            {
                var taken = (_count, _most);
                (_count, _most) = (0, 0);
                return taken;
            }
        }
    }
}
