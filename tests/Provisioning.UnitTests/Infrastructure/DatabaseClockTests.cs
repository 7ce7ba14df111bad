using Provisioning.Infrastructure.Persistence;

namespace Provisioning.UnitTests.Infrastructure;

public sealed class DatabaseClockTests
{
    [Theory]
    [InlineData(3599.9, "1 h 0 min 0 s")] // an instance an hour slow, measured across a round trip (an upgrade probe read "59 min 59 s")
    [InlineData(3600.4, "1 h 0 min 0 s")]
    [InlineData(59.6, "1 min 0 s")]
    [InlineData(6.2, "6 s")]
    [InlineData(90061.0, "1 d 1 h 1 min")]
    public void TheDifference_IsSaidToTheNearestSecond(double seconds, string said) =>
        Assert.Equal(said, DatabaseClock.Readable(DatabaseClock.Rounded(TimeSpan.FromSeconds(seconds))));
}
