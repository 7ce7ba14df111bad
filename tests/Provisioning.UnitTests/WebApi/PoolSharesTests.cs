using Provisioning.Infrastructure.Credentials;
using Provisioning.WebApi.Hosting;

namespace Provisioning.UnitTests.WebApi;

public sealed class PoolSharesTests
{
    [Theory]
    [InlineData(null, 25, 16)] // no pooling: nothing to share
    [InlineData(100, 25, 16)]  // the defaults (lookups at their most) and the default pool
    [InlineData(50, 25, 12)]   // half the pool each, exactly
    [InlineData(20, 0, 5)]     // no customer limit: the operator's choice, not a share to check
    public void NothingIsSaid_WhileEachShareIsAtMostHalfThePool(int? pool, int customer, int lookups) =>
        Assert.Empty(PoolShares.Warnings(pool, customer, Lookups(lookups)));

    private static CredentialLookupOptions Lookups(int concurrent) => new() { ConcurrentLookups = concurrent };

    [Fact]
    public void APoolLoweredBelowTheCustomerLimit_IsSaid_WithWhatToLowerItTo()
    {
        // Under PgBouncer a pool of 20 left the default of 25: one customer could hold every connection.
        var warning = Assert.Single(PoolShares.Warnings(20, 25, Lookups(4)));
        Assert.Equal("Provisioning:RateLimit:ConcurrentRequestsPerCustomer (25) is not well under the connection pool's Maximum Pool Size " +
                     "(20, ConnectionStrings:Provisioning): one customer's requests can hold 20 of its connections, and every other customer " +
                     "waits for the rest. Lower it (at most 10), or raise Maximum Pool Size (docs/operations.md, \"Connections\").", warning);
    }

    [Fact]
    public void LookupsWhoseTwoKindsOfTurnsPassHalfThePool_AreSaid()
    {
        var warning = Assert.Single(PoolShares.Warnings(100, 25, Lookups(26)));
        Assert.StartsWith("Provisioning:Credentials:ConcurrentLookups (26) lets credential lookups hold 52 connections at once", warning);
        Assert.EndsWith("Lower it (at most 25), or raise Maximum Pool Size (docs/operations.md, \"Credential lookups\").", warning);
        // A pool of one: nothing is well under it, and no value of the settings could be (their least is 1).
        var tiny = PoolShares.Warnings(1, 1, Lookups(1)).ToList();
        Assert.Equal(2, tiny.Count);
        Assert.All(tiny, warning => Assert.Contains(". Raise Maximum Pool Size (docs/operations.md", warning));
        Assert.DoesNotContain(tiny, warning => warning.Contains("Lower it", StringComparison.Ordinal));
    }
}
