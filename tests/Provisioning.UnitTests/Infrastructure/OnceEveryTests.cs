using Microsoft.Extensions.Time.Testing;
using Provisioning.Infrastructure;

namespace Provisioning.UnitTests.Infrastructure;

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
    public void AnIntervalOfNothing_OrOfMoreThanADay_IsRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new OnceEvery(TimeProvider.System, TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => new OnceEvery(TimeProvider.System, TimeSpan.FromDays(2)));
    }
}
