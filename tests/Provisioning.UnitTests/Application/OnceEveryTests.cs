using Microsoft.Extensions.Time.Testing;
using Provisioning.Application.Common.Logging;

namespace Provisioning.UnitTests.Application;

public sealed class OnceEveryTests
{
    [Theory]
    [InlineData(null, 1)]  // a minute unless said
    [InlineData(60, 60)]   // the forwarded-address Warning's hour
    public void TheFirstIsDueAtOnce_TheNextOnlyAnIntervalAfter_WithTheCountSince(int? everyMinutes, int intervalMinutes)
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 6, 6, 0, 0, TimeSpan.Zero));
        var once = new OnceEvery(clock, everyMinutes is { } m ? TimeSpan.FromMinutes(m) : null);

        Assert.True(once.Count(out var count, out var since));
        Assert.Equal((1, clock.GetUtcNow()), (count, since));
        var first = clock.GetUtcNow();

        clock.Advance(TimeSpan.FromMinutes(intervalMinutes) - TimeSpan.FromSeconds(1));
        Assert.False(once.Count(out _, out _));
        Assert.False(once.Count(out _, out _));

        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(once.Count(out count, out since));
        Assert.Equal((3, first), (count, since)); // the two held back and this one, since the first line
    }

    [Fact]
    public void AFloodThatStops_IsSaidWhole_AnIntervalAfterItsFirstLine_WithTheLastOccurrencesWords()
    {
        // A flood of 1,380 refusals within a minute was said as "1 request(s) refused", and the rest never (an audit).
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 6, 6, 0, 0, TimeSpan.Zero));
        var once = new OnceEvery(clock);
        var lines = new List<(long Count, DateTimeOffset Since, int Words)>();
        var first = clock.GetUtcNow();
        for (var i = 0; i < 1380; i++)
        {
            var words = i;
            once.Say((count, since) => lines.Add((count, since, words)));
        }

        Assert.Equal([(1L, first, 0)], lines);
        clock.Advance(TimeSpan.FromSeconds(59));
        Assert.Single(lines);

        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal((1379L, first, 1379), lines[1]); // the rest, with the last one's words, since the first line
        var second = clock.GetUtcNow();

        // Nothing more: nothing more is said.
        clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(2, lines.Count);

        // A later one is said at once (more than an interval since the last line), and those held back after it a minute on.
        once.Say((count, since) => lines.Add((count, since, -1)));
        Assert.Equal((1L, second, -1), lines[2]);
        var third = clock.GetUtcNow();
        clock.Advance(TimeSpan.FromSeconds(30));
        once.Say((count, since) => lines.Add((count, since, -2)));
        once.Say((count, since) => lines.Add((count, since, -3)));
        clock.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(3, lines.Count);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal((2L, third, -3), lines[3]);
    }

    [Fact]
    public void AHeldBackOccurrenceSaidByALaterOne_IsNotSaidAgainByTheTimer()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 6, 6, 0, 0, TimeSpan.Zero));
        var once = new OnceEvery(clock);
        var said = new List<long>();
        once.Say((count, _) => said.Add(count));
        once.Say((count, _) => said.Add(count));
        Assert.True(once.Count(out var count, out _) is false); // held back too
        clock.Advance(TimeSpan.FromSeconds(60));                  // the timer says the two held back
        Assert.Equal([1L, 2L], said);
        once.Say((c, _) => said.Add(c));                           // within the interval since: held back, then said once
        clock.Advance(TimeSpan.FromMinutes(3));
        Assert.Equal([1L, 2L, 1L], said);
        Assert.Equal(0, count);
    }

    [Fact]
    public void Disposed_ItSaysWhatItHoldsBack_AndAnOccurrenceAfterAtOnce()
    {
        // A flood cut short by a restart (a rolling upgrade) lost the rest of its count (a review).
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 6, 6, 0, 0, TimeSpan.Zero));
        var said = new List<long>();
        var once = new OnceEvery(clock);
        for (var i = 0; i < 5; i++)
        {
            once.Say((count, _) => said.Add(count));
        }

        once.Dispose();
        Assert.Equal([1L, 4L], said);
        clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal([1L, 4L], said);

        // One that comes after (a fault at the stop, or in a kind FaultLines forgot while it was in use): no timer is left
        // to say it later, so it is said now.
        once.Say((count, _) => said.Add(10 * count));
        Assert.Equal([1L, 4L, 10L], said);
        said.RemoveAt(2);

        using var quiet = new OnceEvery(clock);
        quiet.Say((count, _) => said.Add(-count));
        quiet.Dispose(); // nothing held back: nothing more
        Assert.Equal([1L, 4L, -1L], said);
    }

    [Fact]
    public async Task AHeldBackLine_IsNotSaidInTheContextOfTheRequestThatArmedItsTimer()
    {
        // A timer keeps the execution context it was made in: the held-back lines carried the first held-back request's id
        // and trace in their scopes, whatever request they counted (a review).
        var request = new AsyncLocal<string?>();
        var contexts = new System.Collections.Concurrent.ConcurrentQueue<string?>();
        using var once = new OnceEvery(TimeProvider.System, TimeSpan.FromMilliseconds(50));
        request.Value = "req-1";
        once.Say((_, _) => contexts.Enqueue(request.Value));
        request.Value = "req-2";
        once.Say((_, _) => contexts.Enqueue(request.Value));
        for (var i = 0; i < 200 && contexts.Count < 2; i++)
        {
            await Task.Delay(10);
        }

        Assert.Equal(["req-1", null], contexts);
    }

    [Fact]
    public void AnIntervalOfNothing_OrOfMoreThanADay_IsRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new OnceEvery(TimeProvider.System, TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => new OnceEvery(TimeProvider.System, TimeSpan.FromDays(2)));
    }
}
