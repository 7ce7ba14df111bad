using Microsoft.Extensions.Time.Testing;
using Provisioning.Application.Common.Logging;

namespace Provisioning.UnitTests.Application;

public sealed class SlowMessagesTests
{
    private sealed record GetAppQuery;

    private sealed record CreateAppCommand;

    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 7, 16, 20, 0, TimeSpan.Zero));
    private readonly RecordingLogger<SlowMessages> _log = new();

    [Fact]
    public void HalfASecondOrLess_IsNotSaid()
    {
        using var slow = new SlowMessages(_clock, _log);
        slow.Took(typeof(GetAppQuery), TimeSpan.FromMilliseconds(499));
        slow.Took(typeof(GetAppQuery), SlowMessages.Threshold);
        _clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Empty(_log.Lines);
    }

    [Fact]
    public void TheFirstOfAType_IsSaidAtOnce_TheRestOfItsMinuteInOneLine_WithTheSlowest()
    {
        // Under overload every request is slow: a line each was a line per request.
        using var slow = new SlowMessages(_clock, _log);
        slow.Took(typeof(GetAppQuery), TimeSpan.FromMilliseconds(812));
        Assert.Equal(["Warning GetAppQuery took 812 ms"], _log.Lines);

        slow.Took(typeof(GetAppQuery), TimeSpan.FromMilliseconds(600));
        slow.Took(typeof(GetAppQuery), TimeSpan.FromMilliseconds(2350));
        slow.Took(typeof(GetAppQuery), TimeSpan.FromMilliseconds(700));
        slow.Took(typeof(CreateAppCommand), TimeSpan.FromMilliseconds(1500)); // another type: its own first line
        Assert.Equal(["Warning GetAppQuery took 812 ms", "Warning CreateAppCommand took 1500 ms"], _log.Lines);

        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal("Warning GetAppQuery took more than 500 ms 3 time(s) since 2026-12-07 16:20:00Z, the slowest 2350 ms", Assert.Single(_log.Lines.Skip(2)));

        // Quiet a while, then the next is said at once again, with its own time (not the last line's slowest).
        _clock.Advance(TimeSpan.FromMinutes(5));
        slow.Took(typeof(GetAppQuery), TimeSpan.FromMilliseconds(501));
        Assert.Equal("Warning GetAppQuery took 501 ms", _log.Lines[^1]);
        Assert.Equal(4, _log.Lines.Count);
    }

    [Fact]
    public void WhatIsHeldBack_IsSaidAtShutdown()
    {
        var slow = new SlowMessages(_clock, _log);
        slow.Took(typeof(CreateAppCommand), TimeSpan.FromMilliseconds(900));
        slow.Took(typeof(CreateAppCommand), TimeSpan.FromMilliseconds(3000));
        _clock.Advance(TimeSpan.FromSeconds(10));
        slow.Dispose();
        Assert.Equal(
            ["Warning CreateAppCommand took 900 ms", "Warning CreateAppCommand took 3000 ms"], // (one held back: said as one)
            _log.Lines);
    }
}
