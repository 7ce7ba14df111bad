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
    /// session that says read-only may have logged in under a default since reset (<see cref="StaleSessions"/>): when the
    /// sessions were stale and are replaced, a new one is asked.
    /// </summary>
    public static async Task<string?> WhyAsync(ProvisioningDbContext db, StaleSessions stale, CancellationToken cancellationToken)
    {
        var why = await AskAsync(db, cancellationToken);
        if (why == "read-only" && await stale.ReplacedAsync())
        {
            why = await AskAsync(db, cancellationToken);
        }

        return why switch
        {
            "recovery" => "The database is in recovery (a standby, or a restore replaying its log): it takes no writes, and no credential is checked against it.",
            "read-only" => "The database is read-only (default_transaction_read_only is on).",
            _ => null,
        };
    }

    private static Task<string> AskAsync(ProvisioningDbContext db, CancellationToken cancellationToken) =>
        db.Database.SqlQueryRaw<string>(WhySql).SingleAsync(cancellationToken);
}
