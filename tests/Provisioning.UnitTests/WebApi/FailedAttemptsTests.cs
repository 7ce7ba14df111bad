using Microsoft.Extensions.Time.Testing;
using Provisioning.WebApi.Hosting;

namespace Provisioning.UnitTests.WebApi;

/// <summary>
/// The failed-attempt guard's rule for a key that authenticated from an address (<see cref="RateLimiting.FailedAttempts"/>),
/// with a budget of 20 failures a minute per address and 2 per address and key id.
/// </summary>
public sealed class FailedAttemptsTests
{
    private const string Address = "ip:192.0.2.1";
    private const string Used = "act_0123456789abcdef01234567";
    private const string Other = "act_76543210fedcba9876543210";

    [Fact]
    public void AKeyUsedFromTheAddress_IsNeverRefused_AndItsFailuresDoNotSpendTheAddresssBudget()
    {
        using var failures = new RateLimiting.FailedAttempts(20, new FakeTimeProvider(DateTimeOffset.UtcNow));
        failures.Proven(Address, Used);
        for (var i = 0; i < 30; i++)
        {
            Assert.Null(failures.Refusal(Address, Used));
            failures.Count(Address, Used);
        }

        // Counted against the address (it was, at first), thirty failures of one key locked out every key not used from here.
        Assert.False(failures.HaveFailed(Address));
        Assert.Null(failures.Refusal(Address, Other));
    }

    [Fact]
    public void AKeyNotUsedFromTheAddress_IsRefusedPastItsShare_AndItsFailuresSpendTheAddresssBudget()
    {
        using var failures = new RateLimiting.FailedAttempts(20, new FakeTimeProvider(DateTimeOffset.UtcNow));
        failures.Proven(Address, Used);
        for (var i = 0; i < 2; i++)
        {
            Assert.Null(failures.Refusal(Address, Other));
            failures.Count(Address, Other);
        }

        using var refused = failures.Refusal(Address, Other);
        Assert.NotNull(refused);
        Assert.True(failures.HaveFailed(Address));
        Assert.Null(failures.Refusal(Address, Used));
    }

    [Fact]
    public void TheExemptionEndsAnHourAfterTheKeysLastSuccess_FailuresDoNotRenewIt()
    {
        // A key deleted (or its secret given up) while a job goes on sending it: asking whether it is exempt renewed the
        // exemption (a sliding expiry, read on every failure), so the job kept it exempt for as long as it ran.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var failures = new RateLimiting.FailedAttempts(20, clock);
        failures.Proven(Address, Used);
        for (var minute = 0; minute < 59; minute++)
        {
            clock.Advance(TimeSpan.FromMinutes(1));
            Assert.Null(failures.Refusal(Address, Used));
            failures.Count(Address, Used);
        }

        clock.Advance(TimeSpan.FromMinutes(1.5));
        failures.Count(Address, Used);
        failures.Count(Address, Used);
        using var refused = failures.Refusal(Address, Used);
        Assert.NotNull(refused);
    }

    [Fact]
    public void EachSuccess_RenewsTheExemption()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var failures = new RateLimiting.FailedAttempts(20, clock);
        failures.Proven(Address, Used);
        clock.Advance(TimeSpan.FromMinutes(50));
        failures.Proven(Address, Used);
        clock.Advance(TimeSpan.FromMinutes(50));
        for (var i = 0; i < 5; i++)
        {
            Assert.Null(failures.Refusal(Address, Used));
            failures.Count(Address, Used);
        }
    }
}
