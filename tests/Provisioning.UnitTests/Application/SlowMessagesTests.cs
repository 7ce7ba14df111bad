using System.Text.RegularExpressions;
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
    public void TheFirstTenOfATypeInAMinute_HaveALineEach_TheRestALineAMinute_WithTheSlowest()
    {
        // Under overload every request is slow: a line each was a line per request.
        using var slow = new SlowMessages(_clock, _log);
        for (var i = 0; i < SlowMessages.OwnLinesPerMinute; i++)
        {
            slow.Took(typeof(GetAppQuery), TimeSpan.FromMilliseconds(600 + i));
        }

        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"Warning GetAppQuery took {600 + i} ms"), _log.Lines);
        _log.Lines.Clear();

        // The eleventh is the first of the rest: said at once, as one more (with its request's scopes, being its line).
        slow.Took(typeof(GetAppQuery), TimeSpan.FromMilliseconds(812));
        Assert.Equal(["Warning GetAppQuery took more than 500 ms 1 more time(s) since 2026-12-07 16:20:00Z, the slowest 812 ms"], _log.Lines);
        _clock.Advance(TimeSpan.FromSeconds(10));
        slow.Took(typeof(GetAppQuery), TimeSpan.FromMilliseconds(2350));
        slow.Took(typeof(GetAppQuery), TimeSpan.FromMilliseconds(700));
        slow.Took(typeof(CreateAppCommand), TimeSpan.FromMilliseconds(1500)); // another type: lines of its own
        Assert.Equal("Warning CreateAppCommand took 1500 ms", _log.Lines[^1]);
        Assert.Equal(2, _log.Lines.Count);

        // A minute after the first of the rest, the others, with the slowest of them.
        _clock.Advance(TimeSpan.FromSeconds(50));
        Assert.Equal("Warning GetAppQuery took more than 500 ms 2 more time(s) since 2026-12-07 16:20:00Z, the slowest 2350 ms", _log.Lines[^1]);
        Assert.Equal(3, _log.Lines.Count);

        // A minute after the first own line, own lines again.
        slow.Took(typeof(GetAppQuery), TimeSpan.FromMilliseconds(501));
        Assert.Equal("Warning GetAppQuery took 501 ms", _log.Lines[^1]);
        _clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(4, _log.Lines.Count); // nothing held back: nothing more said
    }

    [Fact]
    public void ManyAtOnce_AreEachCountedOnce_AndTheSlowestIsTheirs()
    {
        // Counted apart from the line's own count, two at once made a line say the other's time and the next "took 0 ms".
        using var slow = new SlowMessages(_clock, _log);
        var times = Enumerable.Range(0, 20_000).Select(i => 501 + (i * 7919 % 5000)).ToArray();
        Parallel.ForEach(times, new ParallelOptions { MaxDegreeOfParallelism = 8 }, ms => slow.Took(typeof(GetAppQuery), TimeSpan.FromMilliseconds(ms)));
        _clock.Advance(TimeSpan.FromMinutes(1));

        var said = _log.Lines.Select(line => Regex.Match(line,
            @"^Warning GetAppQuery took (?:(\d+) ms|more than 500 ms (\d+) more time\(s\) since [^,]+, the slowest (\d+) ms)$")).ToList();
        Assert.All(said, match => Assert.True(match.Success, match.Value));
        Assert.Equal(SlowMessages.OwnLinesPerMinute, said.Count(m => m.Groups[1].Success));
        Assert.Equal(times.Length, said.Sum(m => m.Groups[2].Success ? long.Parse(m.Groups[2].Value) : 1));
        var slowest = said.Select(m => long.Parse(m.Groups[m.Groups[1].Success ? 1 : 3].Value)).ToList();
        Assert.Equal(times.Max(), slowest.Max());
        Assert.All(slowest, ms => Assert.InRange(ms, 501, times.Max()));
    }

    [Fact]
    public void WhatIsHeldBack_IsSaidAtShutdown()
    {
        var slow = new SlowMessages(_clock, _log);
        for (var i = 0; i < SlowMessages.OwnLinesPerMinute + 3; i++)
        {
            slow.Took(typeof(CreateAppCommand), TimeSpan.FromMilliseconds(i == 12 ? 3000 : 900));
        }

        _clock.Advance(TimeSpan.FromSeconds(10));
        slow.Dispose();
        Assert.Equal(12, _log.Lines.Count);
        Assert.Equal("Warning CreateAppCommand took more than 500 ms 2 more time(s) since 2026-12-07 16:20:00Z, the slowest 3000 ms", _log.Lines[^1]);
    }
}
