using Microsoft.EntityFrameworkCore;

namespace Provisioning.Infrastructure.Persistence;

/// <summary>
/// Whether the database takes writes: not on a standby after a failover, nor with <c>default_transaction_read_only</c>
/// set, where every change would answer 503 — so <c>/readyz</c> must not say ready there (it did; a probe).
/// </summary>
public static class DatabaseReadOnly
{
    private static readonly string ReadOnlySql =
        """SELECT pg_is_in_recovery() OR current_setting('transaction_read_only') = 'on' AS "Value" """;

    public static Task<bool> IsReadOnlyAsync(ProvisioningDbContext db, CancellationToken cancellationToken) =>
        db.Database.SqlQueryRaw<bool>(ReadOnlySql).SingleAsync(cancellationToken);
}
