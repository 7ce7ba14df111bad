using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Exceptions;
using Provisioning.Domain.Common;
using Provisioning.Domain.Tenants;

namespace Provisioning.Infrastructure.Persistence;

/// <summary>
/// The budgets of <see cref="ITenantBudgets"/> in SQL (columns and trigger in the <c>SubtreeBudgets</c> migration):
/// <list type="bullet">
/// <item><c>tenants.subtree_apps</c> / <c>tenants.descendant_tenants</c>: what a tenant's subtree holds, kept only
/// while the tenant has that budget (<c>max_apps</c> / <c>max_tenants</c> not null). A create updates exactly those
/// rows on its path, in one statement: the row locks serialise creates against one budget and nothing else.</item>
/// <item><c>tenant_app_counts</c>: each tenant's own apps, kept by triggers on <c>apps</c> in slots: a create adds to a
/// slot no other transaction holds (<c>SKIP LOCKED</c>, a new slot when all are held), so concurrent creates in one tenant
/// never wait for each other; deletions are taken off once per statement and tenant (migration
/// <c>AppDeletionsCountedPerStatement</c>); the count is the slots' sum.</item>
/// <item>A budget being set, or a suspension, takes its tenant's advisory lock exclusively, and every create and deletion
/// takes the locks of all tenants on its path shared (<c>budget_share_path</c>, migration <c>BudgetLockPerTenant</c>): the
/// recount cannot miss a create in flight in the subtree, nor a create commit under a suspension, and work in other
/// subtrees never waits for either.</item>
/// <item>A create's reservation is one procedure, <c>budget_reserve</c>, sent before the create's INSERTs (see
/// <see cref="Reserve"/>).</item>
/// <item>Every statement here that changes counters on several rows of a path locks them first, root first
/// (<c>ORDER BY cardinality(path)</c>), as <c>budget_reserve</c> does: two paths share a prefix, so no two transactions
/// can each hold a row the other waits for (migration <c>BudgetRowsLockedRootFirst</c>).</item>
/// <item>A subtree's release locks its ancestors' budget rows before it counts what the subtree holds, in a statement of
/// its own: a create under the subtree that reserved on them has then committed (and is counted, its snapshot being
/// later), and one that comes after waits, then fails on the deleted parent (404) and takes its reservation back.</item>
/// </list>
/// </summary>
internal sealed class TenantBudgets(ProvisioningDbContext db, LockWaits lockWaits) : ITenantBudgets
{
    /// <summary>
    /// The budgets' advisory lock space: each tenant's key is <c>budget_lock_key(tenant, BudgetLock)</c>. The key itself
    /// is still taken shared by every create and deletion, for instances before <c>BudgetLockPerTenant</c>, which take it
    /// whole to change a budget.
    /// </summary>
    internal const long BudgetLock = 0x5052_4F56_4255_4447; // "PROVBUDG"

    /// <summary>
    /// How long a suspension or budget change waits for its tenant's lock, held shared by the creates and deletions in
    /// flight in the subtree. While it waits, PostgreSQL queues every new create of that subtree behind it: a deletion in
    /// the subtree that runs for seconds (a large customer's) would hold them off as long (a probe saw 27 s, when the lock
    /// was one for all tenants). A create holds the lock for its transaction's milliseconds — its round trips: with the
    /// database 80 ms away, a queue of creates on one budget's row takes seconds (a probe) —; past this wait the change is
    /// answered 503 (<see cref="SubtreeBusyException"/>, "retry"), and creates go on.
    /// </summary>
    internal const string HoldCreatesWait = "2s";

    /// <summary>What <c>budget_reserve</c> raises when the create would pass a budget; the message says which (<see cref="Refusal"/>).</summary>
    public const string BudgetPassedState = "PX402";

    /// <summary>What <c>budget_reserve</c> raises when the tenant or an ancestor is suspended.</summary>
    public const string SuspendedState = "PX403";

    public Task ReserveAppAsync(TenantId tenant, CancellationToken cancellationToken) => Reserve("apps", tenant);

    public Task ReleaseAppAsync(TenantId tenant, CancellationToken cancellationToken) => ExecuteAsync(
        """
        SELECT budget_share_path(@tenant, @lock);
        SELECT 1 FROM tenants
        WHERE id IN (SELECT unnest(path) FROM tenants WHERE id = @tenant) AND max_apps IS NOT NULL
        ORDER BY cardinality(path) FOR NO KEY UPDATE;
        UPDATE tenants SET subtree_apps = subtree_apps - 1
        WHERE id IN (SELECT unnest(path) FROM tenants WHERE id = @tenant) AND max_apps IS NOT NULL;
        """, tenant, cancellationToken);

    public Task ReserveTenantAsync(TenantId parent, CancellationToken cancellationToken) => Reserve("tenants", parent);

    public Task ReleaseSubtreeAsync(TenantId tenant, CancellationToken cancellationToken) => ExecuteAsync(
        """
        SELECT budget_share_path(@tenant, @lock);
        SELECT 1 FROM tenants
        WHERE id IN (SELECT unnest(path[1:cardinality(path) - 1]) FROM tenants WHERE id = @tenant)
          AND (max_apps IS NOT NULL OR max_tenants IS NOT NULL)
        ORDER BY cardinality(path) FOR NO KEY UPDATE;
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

    public async Task HoldCreatesAsync(TenantId tenant, CancellationToken cancellationToken)
    {
        try
        {
            await ExecuteAsync(
                $"""
                SET LOCAL lock_timeout = '{HoldCreatesWait}';
                SELECT pg_advisory_xact_lock(budget_lock_key(@tenant, @lock));
                SET LOCAL lock_timeout TO DEFAULT;
                SELECT 1 FROM tenants WHERE id = (SELECT parent_id FROM tenants WHERE id = @tenant) FOR KEY SHARE;
                """, tenant, cancellationToken);
        }
        catch (Exception e) when (PostgresError.StateIn(e) == PostgresErrorCodes.LockNotAvailable)
        {
            // Not a fault: said to the client as what it is, and to the operator with the sessions holding what it waited
            // for (at most once a minute, however often it is retried).
            lockWaits.Noticed(e);
            var busy = new SubtreeBusyException(HoldCreatesWait.Replace("s", " s", StringComparison.Ordinal));
            Application.Common.Logging.FaultLog.MarkLogged(busy);
            throw busy;
        }
    }

    public Task RecountAsync(TenantId tenant, CancellationToken cancellationToken) => ExecuteAsync(
        """
        SELECT pg_advisory_xact_lock(budget_lock_key(@tenant, @lock));
        UPDATE tenants t SET
            subtree_apps = CASE WHEN t.max_apps IS NULL THEN 0 ELSE (
                SELECT coalesce(sum(c.apps), 0) FROM tenant_app_counts c
                WHERE c.tenant_id IN (SELECT d.id FROM tenants d WHERE d.path @> ARRAY[@tenant]::text[])) END,
            descendant_tenants = CASE WHEN t.max_tenants IS NULL THEN 0 ELSE (
                SELECT count(*) - 1 FROM tenants d WHERE d.path @> ARRAY[@tenant]::text[]) END
        WHERE t.id = @tenant;
        """, tenant, cancellationToken);

    public async Task<IReadOnlyDictionary<string, int>> AppCountsAsync(TenantId? under, CancellationToken cancellationToken) =>
        (await (under?.Value is { } top
                ? db.Database.SqlQuery<TenantAppCount>($"""
                    SELECT c.tenant_id, sum(c.apps)::int AS apps FROM tenant_app_counts c
                    WHERE c.tenant_id IN (SELECT d.id FROM tenants d WHERE d.path @> ARRAY[{top}]::text[])
                    GROUP BY c.tenant_id
                    """)
                : db.Database.SqlQuery<TenantAppCount>($"SELECT tenant_id, sum(apps)::int AS apps FROM tenant_app_counts GROUP BY tenant_id"))
            .ToListAsync(cancellationToken))
        .ToDictionary(c => c.TenantId, c => c.Apps);

    private sealed record TenantAppCount(string TenantId, int Apps);

    /// <summary>
    /// Counts one more app or tenant (<paramref name="kind"/>) of <paramref name="tenant"/> against every row from it up
    /// to the root that has that budget, refusing a suspended subtree: <c>CALL budget_reserve(…)</c> (migration
    /// <c>BudgetsWithTheFirstStatement</c>), queued as a <see cref="LeadingStatement"/> that runs before the create's
    /// INSERTs: in front of a query, else in a round trip of its own with the transaction's BEGIN. Not behind the INSERTs,
    /// though that would save the round trip: the INSERT's foreign-key check takes a KEY SHARE lock on the tenant's row,
    /// and the reservation's UPDATE of that same row after it, with other creates doing the same, makes PostgreSQL (15.18)
    /// fail with "new multixact has more than one updating member" (XX000) now and then under concurrent creates —
    /// <c>SubtreeBudgetTests</c> and <c>PlanLimitTests</c> caught it. Updating the row first takes no such path. A
    /// refusal fails the statement and the transaction; the unit of work turns it into the exception here
    /// (<see cref="Refusal"/>).
    /// </summary>
    private Task Reserve(string kind, TenantId tenant)
    {
        db.Lead(new LeadingStatement(
            "CALL budget_reserve(@budget_kind, @budget_tenant, @budget_lock)",
            ("budget_kind", kind), ("budget_tenant", tenant.Value), ("budget_lock", BudgetLock)));
        return Task.CompletedTask;
    }

    /// <summary>
    /// The refusal of <c>budget_reserve</c> anywhere in <paramref name="exception"/>'s chain, or null: 403 for a suspended
    /// subtree, 402 for a budget passed. The message of <see cref="BudgetPassedState"/> is
    /// <c>"apps|tenants &lt;limit&gt; self|ancestor"</c>, written by the procedure, never by a user.
    /// </summary>
    public static ExpectedException? Refusal(Exception? exception)
    {
        switch (PostgresError.In(exception))
        {
            case { SqlState: SuspendedState }:
                return new TenantSuspendedException();
            case { SqlState: BudgetPassedState, MessageText: var text }:
                var parts = text.Split(' ');
                var limit = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
                return parts[0] == "apps"
                    ? new AppLimitReachedException(limit, ofAncestor: parts[2] == "ancestor")
                    : new TenantLimitReachedException(limit, ofAncestor: parts[2] == "ancestor");
            default:
                return null;
        }
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
        db.FollowCommandTimeout(command);
        command.Transaction = transaction.GetDbTransaction();
        command.CommandText = sql;
        command.Parameters.Add(new NpgsqlParameter("lock", BudgetLock));
        if (tenant != default)
        {
            command.Parameters.Add(new NpgsqlParameter("tenant", tenant.Value));
        }

        await db.SendLeadingWithAsync(command, readByPosition: false, cancellationToken);
        return command;
    }
}
