namespace Provisioning.Infrastructure;

/// <summary>
/// Occurrences of something a flood repeats (a refusal thousands of times a second), to be said in one line at most once a
/// minute (or once in another interval) with how many there were since the previous line and when that was, instead of a
/// line each. Whoever counts logs the line when <see cref="Count"/> says it is due.
/// </summary>
public sealed class OnceEvery
{
    private readonly TimeProvider _clock;
    private readonly TimeSpan _every;
    private long _saidAt;
    private long _since;

    /// <summary>The previous line's time, UTC ticks (a long, so that it is read and written whole); 0 before the first.</summary>
    private long _previous;

    /// <summary>Lines at most once in <paramref name="every"/>: a minute unless said.</summary>
    public OnceEvery(TimeProvider clock, TimeSpan? every = null)
    {
        _clock = clock;
        _every = every ?? TimeSpan.FromMinutes(1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(_every, TimeSpan.Zero, nameof(every));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(_every, TimeSpan.FromDays(1), nameof(every));
        _saidAt = clock.GetTimestamp() - (long)(_every.TotalSeconds * clock.TimestampFrequency) - 1; // the first is due at once
    }

    /// <summary>
    /// Counts one; true when a line is due (the first, or the first an interval after the last), with the count since the
    /// previous line (this one included) and the time of that line (for the first, now: it said the process's start, which
    /// an operator read as the start of the flood, minutes off).
    /// </summary>
    public bool Count(out long count, out DateTimeOffset since)
    {
        Interlocked.Increment(ref _since);
        var last = Interlocked.Read(ref _saidAt);
        if (_clock.GetElapsedTime(last) < _every || Interlocked.CompareExchange(ref _saidAt, _clock.GetTimestamp(), last) != last)
        {
            (count, since) = (0, default);
            return false;
        }

        // Only the one caller that moved _saidAt gets here until the interval has passed again.
        count = Interlocked.Exchange(ref _since, 0);
        var now = _clock.GetUtcNow().UtcTicks;
        var previous = Interlocked.Exchange(ref _previous, now);
        since = new DateTimeOffset(previous == 0 ? now : previous, TimeSpan.Zero);
        return true;
    }
}
