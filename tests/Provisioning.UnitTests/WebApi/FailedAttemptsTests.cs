using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Provisioning.Application.Common.Metrics;
using Provisioning.WebApi.Hosting.FrontDoor;

namespace Provisioning.UnitTests.WebApi;

public sealed class FailedAttemptsTests
{
    private const string KeyId = "act_0123456789abcdef01234567";

    private readonly FakeTimeProvider _clock = new();

    private static readonly ServiceMetrics Metrics =
        new(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>());

    private RateLimiting.FailedAttempts Guard(int permits) => new(permits, NullLogger<RateLimiting.FailedAttempts>.Instance, _clock, Metrics);

    [Fact]
    public void AnAddressThatOnlySignsInRightly_HasNotFailed_AndIsNeverHeldToTheBudget()
    {
        using var guard = Guard(permits: 2);
        guard.Proven("203.0.113.7", KeyId);
        Assert.False(guard.HaveFailed("203.0.113.7"));
        Assert.False(guard.HaveFailed("203.0.113.8"));
    }

    [Fact]
    public void AnAddressThatFailed_HasFailed_UntilAMinuteOrTwoLater_AndPastItsBudgetIsRefused()
    {
        using var guard = Guard(permits: 2);
        guard.CountAddress("203.0.113.7");
        Assert.True(guard.HaveFailed("203.0.113.7"));
        Assert.False(guard.HaveFailed("203.0.113.8"));
        using (var refusal = guard.Refusal("203.0.113.7", null))
        {
            Assert.Null(refusal);
        }

        guard.Count("203.0.113.7", KeyId);
        using (var refusal = guard.Refusal("203.0.113.7", null))
        {
            Assert.NotNull(refusal);
            Assert.False(refusal.IsAcquired);
        }

        // A failure of a key id marks its address too: the key id's share (here one) is checked from then on.
        guard.Count("203.0.113.9", KeyId);
        Assert.True(guard.HaveFailed("203.0.113.9"));
        using (var refusal = guard.Refusal("203.0.113.9", KeyId))
        {
            Assert.NotNull(refusal);
        }

        // Held a minute or two from its last failure, not from its last request: asking does not keep it.
        _clock.Advance(TimeSpan.FromSeconds(59));
        Assert.True(guard.HaveFailed("203.0.113.7"));
        _clock.Advance(TimeSpan.FromSeconds(31));
        Assert.True(guard.HaveFailed("203.0.113.7"));
        _clock.Advance(TimeSpan.FromSeconds(30));
        Assert.False(guard.HaveFailed("203.0.113.7"));
    }

    [Fact]
    public void WhenMoreAddressesFailThanItKeeps_EveryAddressIsHeldToTheBudget_ForAMinuteAfter()
    {
        // Forgotten early, an address cycling among 200,000 others was never checked again (a review).
        using var guard = Guard(permits: 1);
        for (var i = 0; i <= 100_000; i++)
        {
            guard.CountAddress($"10.{i >> 16}.{(i >> 8) & 255}.{i & 255}");
        }

        Assert.True(guard.HaveFailed("198.51.100.1"));
        _clock.Advance(TimeSpan.FromMinutes(2));
        Assert.False(guard.HaveFailed("198.51.100.1"));
    }
}
