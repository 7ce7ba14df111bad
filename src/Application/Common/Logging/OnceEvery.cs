namespace Provisioning.Application.Common.Logging;

/// <summary>
/// Occurrences of something a flood repeats (a refusal thousands of times a second), to be said in one line at most once a
/// minute (or once in another interval) with how many there were since the previous line and when that was, instead of a
/// line each. <see cref="Say"/> says the line itself, and says the rest once the interval has passed even when nothing
/// more comes (a flood of 1,380 refusals within a minute was said as "1 request(s) refused", and the rest never: an
/// audit of the log lines); <see cref="Count"/> only tells whoever counts when a line is due. Disposed with its owner, it
/// says what it still holds back (a flood cut short by a restart), and its timer goes; an occurrence after that is said at
/// once.
/// </summary>
public sealed class OnceEvery : IDisposable
{
    private readonly TimeProvider _clock;
    private readonly TimeSpan _every;
    private long _saidAt;
    private long _since;

    /// <summary>The previous line's time, UTC ticks (a long, so that it is read and written whole); 0 before the first.</summary>
    private long _previous;

    /// <summary>The words of the latest occurrence held back, and whether a timer is set to say them.</summary>
    private Action<long, DateTimeOffset>? _later;
    private int _armed;
    private ITimer? _timer;
    private bool _disposed;
    private readonly Lock _gate = new();

    /// <summary>Lines at most once in <paramref name="every"/>: a minute unless said.</summary>
    public OnceEvery(TimeProvider clock, TimeSpan? every = null)
    {
        _clock = clock;
        _every = every ?? TimeSpan.FromMinutes(1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(_every, TimeSpan.Zero, nameof(every));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(_every, TimeSpan.FromDays(1), nameof(every));
        _saidAt = DueNow(); // the first is due at once
    }

    /// <summary>
    /// Counts one; true when a line is due (the first, or the first an interval after the last), with the count since the
    /// previous line (this one included) and the time of that line (for the first, now: it said the process's start, which
    /// an operator read as the start of the flood, minutes off).
    /// </summary>
    public bool Count(out long count, out DateTimeOffset since)
    {
        Interlocked.Increment(ref _since);
        return Due(out count, out since);
    }

    /// <summary>
    /// Counts one, and says it through <paramref name="say"/> (with the count since the previous line and that line's time)
    /// when a line is due; when not, the latest <paramref name="say"/> is called once the interval since the previous line
    /// has passed, with the count of all held back meanwhile, unless another occurrence has said them by then. A line that
    /// throws is dropped (the timer's thread must not).
    /// </summary>
    public void Say(Action<long, DateTimeOffset> say)
    {
        if (Count(out var count, out var since))
        {
            say(count, since);
            return;
        }

        Volatile.Write(ref _later, say);
        Arm();
        if (Volatile.Read(ref _disposed) && Interlocked.Exchange(ref _since, 0) is var held and > 0)
        {
            // No timer any more (its owner went: a stop, or a kind forgotten while in use): said now rather than never.
            try
            {
                var previous = Interlocked.Read(ref _previous);
                say(held, new DateTimeOffset(previous == 0 ? _clock.GetUtcNow().UtcTicks : previous, TimeSpan.Zero));
            }
            catch (Exception)
            {
                // A log line that failed (its logger disposed at shutdown): nothing to do.
            }
        }
    }

    private void Arm()
    {
        if (Interlocked.CompareExchange(ref _armed, 1, 0) != 0)
        {
            return;
        }

        var left = _every - _clock.GetElapsedTime(Interlocked.Read(ref _saidAt));
        var due = left > TimeSpan.Zero ? left : TimeSpan.Zero;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            if (_timer is { } timer)
            {
                timer.Change(due, Timeout.InfiniteTimeSpan);
                return;
            }

            // Without the caller's execution context: a timer keeps the one it was made in, and every line it said carried
            // the first held-back request's id and trace in its scopes (and kept that request's Activity alive; a review).
            var suppress = !ExecutionContext.IsFlowSuppressed();
            var flow = suppress ? ExecutionContext.SuppressFlow() : default;
            try
            {
                _timer = _clock.CreateTimer(static state => ((OnceEvery)state!).SayHeldBack(), this, due, Timeout.InfiniteTimeSpan);
            }
            finally
            {
                if (suppress)
                {
                    flow.Undo();
                }
            }
        }
    }

    /// <summary>A time of the last line an interval ago: a line is due.</summary>
    private long DueNow() => _clock.GetTimestamp() - (long)(_every.TotalSeconds * _clock.TimestampFrequency) - 1;

    /// <summary>Says what is held back, now, and stops the timer.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _timer?.Dispose();
        }

        if (Interlocked.Read(ref _since) > 0 && Volatile.Read(ref _later) is { } say)
        {
            Interlocked.Exchange(ref _saidAt, DueNow()); // whenever the last line was
            SayDue(say);
        }
    }

    private void SayHeldBack()
    {
        Interlocked.Exchange(ref _armed, 0);
        if (Interlocked.Read(ref _since) == 0 || Volatile.Read(ref _later) is not { } say)
        {
            return;
        }

        if (_clock.GetElapsedTime(Interlocked.Read(ref _saidAt)) < _every)
        {
            Arm(); // an occurrence said a line meanwhile: the rest are due an interval after it
            return;
        }

        SayDue(say);
    }

    private void SayDue(Action<long, DateTimeOffset> say)
    {
        // Nothing held back (another line took it): no line, and the next occurrence is still said at once.
        if (Interlocked.Read(ref _since) > 0 && Due(out var count, out var since) && count > 0)
        {
            try
            {
                say(count, since);
            }
            catch (Exception)
            {
                // A log line that failed (its logger disposed at shutdown): nothing to do on a timer's thread.
            }
        }
    }

    private bool Due(out long count, out DateTimeOffset since)
    {
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
