using Microsoft.Extensions.Options;
using Provisioning.Infrastructure.Credentials;
using Provisioning.Infrastructure.Persistence;
using Provisioning.WebApi.Hosting.FrontDoor;

namespace Provisioning.WebApi.Hosting;

/// <summary>
/// The two settings that keep the connection pool from being taken by one kind of request — a customer's requests at once
/// (<see cref="RateLimitOptions.ConcurrentRequestsPerCustomer"/>) and credential lookups (two kinds of turns of
/// <see cref="CredentialLookupOptions.ConcurrentLookups"/>) — against the pool they share (<c>Maximum Pool Size</c> of
/// <c>ConnectionStrings:Provisioning</c>, 100 by default). Each must be well under it, or it protects nothing: a pool
/// lowered to 20 (as under PgBouncer) left the per-customer default of 25, and one customer could hold every connection.
/// Said at start as a Warning (at most half the pool for either: the defaults take a quarter and a third of the default
/// pool), not refused: the service runs, as it did.
/// </summary>
public static class PoolShares
{
    public static void Warn(IServiceProvider services, ILogger log)
    {
        var pool = new Npgsql.NpgsqlConnectionStringBuilder(services.GetRequiredService<DatabaseConnectionString>().Value);
        var customer = services.GetRequiredService<CustomerConcurrency>().Permits;
        var lookups = services.GetRequiredService<IOptions<CredentialLookupOptions>>().Value;
        foreach (var warning in Warnings(pool.Pooling ? pool.MaxPoolSize : null, customer, lookups))
        {
            log.LogWarning("{Warning}", warning);
        }
    }

    /// <summary>What to say of a pool of <paramref name="pool"/> connections (null: no pooling, nothing to share).</summary>
    public static IEnumerable<string> Warnings(int? pool, int customer, CredentialLookupOptions lookups)
    {
        if (pool is not { } size)
        {
            yield break;
        }

        var half = size / 2;
        if (customer > half)
        {
            yield return $"{RateLimitOptions.Section}:{nameof(RateLimitOptions.ConcurrentRequestsPerCustomer)} ({customer}) is not well under " +
                         $"the connection pool's Maximum Pool Size ({size}, ConnectionStrings:Provisioning): one customer's requests can hold " +
                         $"{Math.Min(customer, size)} of its connections, and every other customer waits for the rest. " +
                         (half >= 1 ? $"Lower it (at most {half}), or raise Maximum Pool Size" : "Raise Maximum Pool Size") +
                         " (docs/operations.md, \"Connections\").";
        }

        if (lookups.ConnectionsAtOnce > half)
        {
            // The most that keeps the lookups within half the pool (at least 1, the setting's least).
            var most = half / CredentialLookupOptions.TurnKinds;
            yield return $"{CredentialLookupOptions.ConcurrentLookupsSetting} ({lookups.ConcurrentLookups}) lets credential lookups hold " +
                         $"{lookups.ConnectionsAtOnce} connections at once (its two kinds of turns), which is not well under the connection " +
                         $"pool's Maximum Pool Size ({size}, ConnectionStrings:Provisioning): a flood of made-up key ids can take the pool " +
                         "from the requests whose keys are cached. " +
                         (most >= 1 ? $"Lower it (at most {most}), or raise Maximum Pool Size" : "Raise Maximum Pool Size") +
                         " (docs/operations.md, \"Credential lookups\").";
        }
    }
}
