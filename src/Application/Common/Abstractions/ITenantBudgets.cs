using Provisioning.Domain.Common;

namespace Provisioning.Application.Common.Abstractions;

/// <summary>
/// Budgets over the subtree (API.md §12): <c>maxApps</c> counts the apps of a tenant and of all its descendants,
/// <c>maxTenants</c> its descendants. The counts are counters the same transaction keeps, never a row count, and a
/// change locks only the ancestors that have a budget; a create that would pass any budget on the way to the root
/// fails with a <see cref="Domain.Tenants.BudgetExceededException"/> (402) and its transaction rolls back. Exact under
/// concurrency. Every command that adds or removes apps or tenants goes through here.
/// <para>A reservation may be sent with the transaction's next statement rather than at once (no round trip of its own),
/// so its refusal can surface there, or at the commit: the command's transaction fails with it either way, and nothing
/// of the command stays.</para>
/// </summary>
public interface ITenantBudgets
{
    /// <summary>
    /// Counts one more app of <paramref name="tenant"/> against every budget from it up to the root. Nothing is created
    /// under a suspended tenant: 403 <c>tenant_suspended</c> when it or an ancestor is.
    /// </summary>
    Task ReserveAppAsync(TenantId tenant, CancellationToken cancellationToken);

    /// <summary>Gives back the place of one deleted app of <paramref name="tenant"/>.</summary>
    Task ReleaseAppAsync(TenantId tenant, CancellationToken cancellationToken);

    /// <summary>Counts one more descendant tenant under <paramref name="parent"/> against every tenant budget up to the root (403 when suspended, as above).</summary>
    Task ReserveTenantAsync(TenantId parent, CancellationToken cancellationToken);

    /// <summary>Before a tenant and its subtree are deleted: gives back their apps and tenants to the budgets of its ancestors.</summary>
    Task ReleaseSubtreeAsync(TenantId tenant, CancellationToken cancellationToken);

    /// <summary>
    /// Before <paramref name="tenant"/>'s budgets are set or it is suspended, ahead of any row this request changes: waits
    /// for the app and tenant creates and deletions in flight in its subtree and holds new ones there off until the
    /// transaction ends (they then see the new budgets and status); work in other subtrees does not wait. (A create holds
    /// the budgets' shared lock while it waits for a tenant's row; a budget change that held the row first and then asked
    /// for this lock deadlocked with it.) Waits a bounded time: past it, a database-unavailable error (503), since every
    /// new create in the subtree waits behind this one meanwhile (a long deletion in flight there).
    /// <para>Then the parent's row, shared (<c>FOR KEY SHARE</c>, waited for without that bound), before the tenant's own: <see cref="RecountAsync"/> updates
    /// the tenant's row a second time in the transaction, for which PostgreSQL checks its parent key again, and an
    /// ancestor's deletion locks the parent before it reaches this row. Asked for after this row, it made the two wait for
    /// each other (40P01, a probe: 11 of 25 rounds); asked for first, a budget change waits for such a deletion (and then
    /// finds its tenant gone: 404), or the deletion for it.</para>
    /// </summary>
    Task HoldCreatesAsync(TenantId tenant, CancellationToken cancellationToken);

    /// <summary>
    /// After a tenant's budgets were set (saved in this transaction): counts what its subtree holds now, so that the
    /// budget starts from the truth. Waits for app and tenant creates in flight to finish.
    /// </summary>
    Task RecountAsync(TenantId tenant, CancellationToken cancellationToken);

    /// <summary>
    /// Each tenant's own apps by tenant id, from the counters (for the operator's overview): every tenant's, or with
    /// <paramref name="under"/> those of that tenant and its subtree only.
    /// </summary>
    Task<IReadOnlyDictionary<string, int>> AppCountsAsync(TenantId? under, CancellationToken cancellationToken);
}
