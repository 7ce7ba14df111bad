using Microsoft.EntityFrameworkCore;

namespace Provisioning.Infrastructure.Persistence;

/// <summary>
/// Whether the database takes writes: not in recovery (a standby, or a restore replaying its log), nor with
/// <c>default_transaction_read_only</c> set, where every change would answer 503 — so <c>/readyz</c> must not say ready
/// there (it did; a probe). In recovery no credential is checked either (<c>Credentials/DatabaseInRecoveryException</c>).
/// </summary>
public static class DatabaseReadOnly
{
    private static readonly string WhySql = """
        SELECT CASE WHEN pg_is_in_recovery() THEN 'recovery' WHEN current_setting('transaction_read_only') = 'on' THEN 'read-only' ELSE '' END AS "Value"
        """;

    /// <summary>
    /// Why the database takes no writes, in a sentence for <c>/readyz</c>'s log line; null when it takes them. A pooled
    /// session's read-only setting is checked on a new one (<see cref="StaleSessions"/>): it may be the default it logged in with.
    /// </summary>
    public static async Task<string?> WhyAsync(ProvisioningDbContext db, StaleSessions stale, CancellationToken cancellationToken) =>
        await db.Database.SqlQueryRaw<string>(WhySql).SingleAsync(cancellationToken) switch
        {
            "recovery" => "The database is in recovery (a standby, or a restore replaying its log): it takes no writes, and no credential is checked against it.",
            "read-only" when await stale.ReadOnlyOnANewSessionAsync() => "The database is read-only (default_transaction_read_only is on).",
            _ => null,
        };
}
