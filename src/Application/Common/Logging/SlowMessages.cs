using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Provisioning.Application.Common.Logging;

/// <summary>
/// Messages whose handler took longer than <see cref="Threshold"/> (timed by <c>PerformanceBehavior</c>), said at Warning:
/// the first of a message type at once, those after it at most one line a minute per type, with how many there were and
/// the slowest. Under overload every request is slow, and a line each was a line per request (hundreds a second). A
/// singleton; disposed at shutdown, it says what it still holds back.
/// </summary>
public sealed class SlowMessages(TimeProvider clock, ILogger<SlowMessages> logger) : IDisposable
{
    public static readonly TimeSpan Threshold = TimeSpan.FromMilliseconds(500);

    // One per message type: a closed set (the application's messages), so bounded.
    private readonly ConcurrentDictionary<Type, Slowest> _byType = new();

    /// <summary>Notes that a <paramref name="messageType"/> took <paramref name="elapsed"/>; says it when over <see cref="Threshold"/> and a line is due.</summary>
    public void Took(Type messageType, TimeSpan elapsed)
    {
        if (elapsed <= Threshold)
        {
            return;
        }

        var slowest = _byType.GetOrAdd(messageType, static (_, clock) => new Slowest(new OnceEvery(clock)), clock);
        slowest.Note((long)elapsed.TotalMilliseconds);
        slowest.Lines.Say((count, since) =>
        {
            var most = slowest.Take();
            if (count == 1)
            {
                logger.LogWarning("{MessageType} took {ElapsedMilliseconds} ms", messageType.Name, most);
                return;
            }

            logger.LogWarning(
                "{MessageType} took more than {ThresholdMilliseconds} ms {Count} time(s) since {Since:u}, the slowest {ElapsedMilliseconds} ms",
                messageType.Name, (long)Threshold.TotalMilliseconds, count, since, most);
        });
    }

    public void Dispose()
    {
        foreach (var slowest in _byType.Values)
        {
            slowest.Lines.Dispose();
        }
    }

    /// <summary>A type's lines, and the slowest time since its last line.</summary>
    private sealed class Slowest(OnceEvery lines)
    {
        private long _most;

        public OnceEvery Lines { get; } = lines;

        public void Note(long milliseconds)
        {
            var most = Interlocked.Read(ref _most);
            while (milliseconds > most)
            {
                var seen = Interlocked.CompareExchange(ref _most, milliseconds, most);
                if (seen == most)
                {
                    return;
                }

                most = seen;
            }
        }

        public long Take() => Interlocked.Exchange(ref _most, 0);
    }
}
