using Provisioning.Domain.Common;
using Provisioning.Domain.Credentials;

namespace Provisioning.UnitTests.Domain;

public sealed class ApiKeyTests
{
    private static readonly DateTimeOffset Made = DateTimeOffset.Parse("2026-12-06T00:00:00Z");
    private static readonly TenantId Tenant = TenantId.New();

    private static ApiKey Key(bool disabled, TimeSpan? expiresIn)
    {
        var key = ApiKey.ForAccount(Tenant, "k", _ => [1, 2, 3], Made).Expiring(Made + expiresIn, Made);
        key.SetDisabled(disabled);
        return key;
    }

    /// <summary>
    /// <see cref="ApiKey.StandsInFor"/> is the rule the database counts by: another key stands in when it works
    /// (<see cref="ApiKey.WorksAt"/>, the one rule of authentication, to the instant of expiry) and lasts at least as long.
    /// </summary>
    [Fact]
    public void AStandIn_WorksByTheRuleOfAuthentication_AndLastsAtLeastAsLong()
    {
        TimeSpan?[] lifetimes = [null, TimeSpan.FromHours(1), TimeSpan.FromHours(2), TimeSpan.FromHours(3)];
        TimeSpan[] ages = [TimeSpan.Zero, TimeSpan.FromHours(1) - TimeSpan.FromTicks(10), TimeSpan.FromHours(1), TimeSpan.FromHours(2)];
        var checkedCases = 0;
        foreach (var stopped in lifetimes.Select(l => Key(false, l)))
        {
            foreach (var now in ages.Select(a => Made + a))
            {
                var standsIn = ApiKey.StandsInFor(stopped, now).Compile();
                Assert.False(standsIn(stopped)); // never the key itself
                foreach (var other in lifetimes.SelectMany(l => new[] { Key(false, l), Key(true, l) }))
                {
                    var lasts = other.ExpiresAt is null || (stopped.ExpiresAt is { } until && other.ExpiresAt >= until);
                    Assert.True((other.WorksAt(now) && lasts) == standsIn(other),
                        $"stopped expiring {stopped.ExpiresAt}, other {(other.Disabled ? "disabled" : "enabled")} expiring {other.ExpiresAt}, at {now}");
                    checkedCases++;
                }
            }
        }

        Assert.Equal(4 * 4 * 8, checkedCases);
    }
}
