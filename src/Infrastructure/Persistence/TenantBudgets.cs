using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Domain.Common;
using Provisioning.Domain.Tenants;

namespace Provisioning.Infrastructure.Persistence;

/// <summary>
/// The budgets of <see cref="ITenantBudgets"/> in SQL (columns and trigger in the <c>SubtreeBudgets</c> migration):
/// <list type="bullet">
/// <item><c>tenants.subtree_apps</c> / <c>tenants.descendant_tenants</c>: what a tenant's subtree holds, kept only
/// while the tenant has that budget (<c>max_apps</c> / <c>max_tenants</c> not null). A create updates exactly those
/// rows on its path, in one statement: the row locks serialise creates against one budget and nothing else.</item>
/// <item><c>tenant_app_counts</c>: each tenant's own apps, kept by a trigger on <c>apps</c> in slots: a create adds to a
/// slot no other transaction holds (<c>SKIP LOCKED</c>, a new slot when all are held), so concurrent creates in one tenant
/// never wait for each other; the count is the slots' sum.</item>
/// <item>A budget being set takes an exclusive advisory lock that every create takes shared, so the recount cannot
/// miss a create in flight.</item>
/// </list>
/// </summary>
internal sealed class TenantBudgets(ProvisioningDbContext db) : ITenantBudgets
{
    /// <summary>Advisory lock key: shared by creates and deletes, exclusive while a budget is (re)counted.</summary>
    private const long BudgetLock = 0x5052_4F56_4255_4447; // "PROVBUDG"

    public async Task ReserveAppAsync(TenantId tenant, CancellationToken cancellationToken)
    {
        if (await ReserveAsync("subtree_apps", "max_apps", tenant, cancellationToken) is { } limit)
        {
            throw new AppLimitReachedException(limit.Limit, ofAncestor: limit.Id != tenant.Value);
        }
    }

    public Task ReleaseAppAsync(TenantId tenant, CancellationToken cancellationToken) => ExecuteAsync(
        """
        SELECT pg_advisory_xact_lock_shared(@lock);
        UPDATE tenants SET subtree_apps = subtree_apps - 1
        WHERE id IN (SELECT unnest(path) FROM tenants WHERE id = @tenant) AND max_apps IS NOT NULL;
        """, tenant, cancellationToken);

    public async Task ReserveTenantAsync(TenantId parent, CancellationToken cancellationToken)
    {
        if (await ReserveAsync("descendant_tenants", "max_tenants", parent, cancellationToken) is { } limit)
        {
            throw new TenantLimitReachedException(limit.Limit);
        }
    }

    public Task ReleaseSubtreeAsync(TenantId tenant, CancellationToken cancellationToken) => ExecuteAsync(
        """
        SELECT pg_advisory_xact_lock_shared(@lock);
        WITH doomed AS (
            SELECT t.id, t.path FROM tenants t WHERE t.path @> ARRAY[@tenant]::text[]
        ), totals AS (
            SELECT (SELECT count(*) FROM doomed) AS tenants,
                   (SELECT coalesce(sum(c.apps), 0) FROM tenant_app_counts c WHERE c.tenant_id IN (SELECT id FROM doomed)) AS apps
        )
        UPDATE tenants t SET
            subtree_apps = CASE WHEN t.max_apps IS NULL THEN t.subtree_apps ELSE t.subtree_apps - totals.apps END,
            descendant_tenants = CASE WHEN t.max_tenants IS NULL THEN t.descendant_tenants ELSE t.descendant_tenants - totals.tenants END
        FROM totals
        WHERE t.id IN (SELECT unnest(path[1:array_length(path, 1) - 1]) FROM tenants WHERE id = @tenant)
          AND (t.max_apps IS NOT NULL OR t.max_tenants IS NOT NULL);
        """, tenant, cancellationToken);

    public Task RecountAsync(TenantId tenant, CancellationToken cancellationToken) => ExecuteAsync(
        """
        SELECT pg_advisory_xact_lock(@lock);
        UPDATE tenants t SET
            subtree_apps = CASE WHEN t.max_apps IS NULL THEN 0 ELSE (
                SELECT coalesce(sum(c.apps), 0) FROM tenant_app_counts c
                WHERE c.tenant_id IN (SELECT d.id FROM tenants d WHERE d.path @> ARRAY[@tenant]::text[])) END,
            descendant_tenants = CASE WHEN t.max_tenants IS NULL THEN 0 ELSE (
                SELECT count(*) - 1 FROM tenants d WHERE d.path @> ARRAY[@tenant]::text[]) END
        WHERE t.id = @tenant;
        """, tenant, cancellationToken);

    public async Task<int> AppCountAsync(TenantId tenant, CancellationToken cancellationToken) =>
        await db.Database.SqlQuery<int>($"SELECT coalesce(sum(apps), 0)::int AS \"Value\" FROM tenant_app_counts WHERE tenant_id = {tenant.Value}")
            .SingleAsync(cancellationToken);

    public async Task<IReadOnlyDictionary<string, int>> AppCountsAsync(CancellationToken cancellationToken) =>
        (await db.Database.SqlQuery<TenantAppCount>(
                $"SELECT tenant_id, sum(apps)::int AS apps FROM tenant_app_counts GROUP BY tenant_id")
            .ToListAsync(cancellationToken))
        .ToDictionary(c => c.TenantId, c => c.Apps);

    private sealed record TenantAppCount(string TenantId, int Apps);

    /// <summary>
    /// Counts one more against <paramref name="counter"/> on every row from <paramref name="tenant"/> up to the root that has
    /// <paramref name="budget"/> set, in one round trip; refuses a suspended subtree; returns the first row whose budget
    /// is now passed (id, limit), or null. The column names are this class's constants, never input.
    /// </summary>
    private async Task<(string Id, int Limit)?> ReserveAsync(string counter, string budget, TenantId tenant, CancellationToken cancellationToken)
    {
        var sql = $"""
            SELECT pg_advisory_xact_lock_shared(@lock);
            SELECT EXISTS (SELECT 1 FROM tenants WHERE status = 'suspended' AND id IN (SELECT unnest(path) FROM tenants WHERE id = @tenant));
            UPDATE tenants SET {counter} = {counter} + 1
            WHERE id IN (SELECT unnest(path) FROM tenants WHERE id = @tenant) AND {budget} IS NOT NULL
            RETURNING id, {counter} > {budget}, {budget};
            """;
        await using var command = await CommandAsync(sql, tenant, cancellationToken);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.NextResultAsync(cancellationToken); // past the advisory lock's row
        if (await reader.ReadAsync(cancellationToken) && reader.GetBoolean(0))
        {
            throw new TenantSuspendedException(); // Nothing is provisioned under a suspended tenant (the transaction rolls back).
        }

        await reader.NextResultAsync(cancellationToken);
        (string, int)? over = null;
        while (await reader.ReadAsync(cancellationToken))
        {
            if (reader.GetBoolean(1) && over is null)
            {
                over = (reader.GetString(0), reader.GetInt32(2));
            }
        }

        return over;
    }

    private async Task ExecuteAsync(string sql, TenantId tenant, CancellationToken cancellationToken)
    {
        await using var command = await CommandAsync(sql, tenant, cancellationToken);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<DbCommand> CommandAsync(string sql, TenantId tenant, CancellationToken cancellationToken)
    {
        var transaction = db.Database.CurrentTransaction
            ?? throw new InvalidOperationException("Budgets change inside a command's transaction only.");
        var connection = db.Database.GetDbConnection();
        if (connection.State != System.Data.ConnectionState.Open)
        {
            await db.Database.OpenConnectionAsync(cancellationToken);
        }

        var command = connection.CreateCommand();
        command.Transaction = transaction.GetDbTransaction();
        command.CommandText = sql;
        command.Parameters.Add(new NpgsqlParameter("lock", BudgetLock));
        command.Parameters.Add(new NpgsqlParameter("tenant", tenant.Value));
        db.SendLeadingWith(command);
        return command;
    }
}
