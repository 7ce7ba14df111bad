using Provisioning.Domain.Common;

namespace Provisioning.Application.Common.Abstractions;

/// <summary>
/// Row locks a delete takes before its cascade, in the order the other writers of those rows take them. A service
/// account's change of an app locks its grant first (<c>CallerScope.GetVisibleAppForChangeAsync</c>), then its tenant's
/// row or the app's; a delete of the app or of a tenant locks the tenant rows and the app first and reaches the grants
/// last, through the cascade. Each waited for the other (PostgreSQL's deadlock, 40P01). Locking the grants first makes
/// the order one: grants, tenants, apps. The same holds between deletes: a tenant's delete locks its grants, then reaches
/// its service accounts' rows through the cascade, so a service account's delete locks its grants before its own row.
/// Every method here locks grants in one order, the key's (app, then service account), and a delete takes no grant
/// before them (an app's delete by a service account checks its own grant after <see cref="LockGrantsOfAppAsync"/>):
/// two deletes then wait for each other's grants only in that order. What row locks cannot order — grants made after a
/// delete locked the grants there were — <see cref="WaitForDeletionsAsync"/> does. (The unit of work runs a transaction
/// rolled back for a deadlock again, but under a queue of such writers three runs were not always enough.)
/// </summary>
public interface ICascadeLocks
{
    /// <summary>
    /// Taken first by every deletion, before any row: deletions of one resource, and of a tenant and of anything below it,
    /// wait for each other whole. <paramref name="deleted"/> (the id of the tenant, app or service account deleted) is held
    /// exclusively, and the tenants of <paramref name="tenant"/>'s path shared, root first (<paramref name="tenant"/> itself
    /// too, unless it is what is deleted), until the transaction ends. Row locks alone did not order them: each locks the
    /// grants there are when it starts, and a grant made in between was locked by the other (40P01 in a deadlock hunt:
    /// duplicate deletes; a tenant's delete with its app's or service account's). Only deletions take these locks, and
    /// before anything else, so a deletion waiting for one holds no row, budget or deletion lock that another waits for.
    /// </summary>
    Task WaitForDeletionsAsync(TenantId tenant, string deleted, CancellationToken cancellationToken);

    /// <summary>Locks every grant of the app (SELECT … FOR UPDATE, in key order) until the transaction ends.</summary>
    Task LockGrantsOfAppAsync(AppId app, CancellationToken cancellationToken);

    /// <summary>Locks every grant to an app of the tenant or of a tenant below it, until the transaction ends.</summary>
    Task LockGrantsOfSubtreeAsync(TenantId tenant, CancellationToken cancellationToken);

    /// <summary>
    /// Locks the rows of the tenant and of every tenant below it (root first), then those of their service accounts, until
    /// the transaction ends: after the grants and the budgets, before the delete whose cascade reaches them. A grant holds its
    /// account's row and then references the app; the cascade deleted the app and then reached the account (40P01, a probe:
    /// 42 of 91 deadlocks in a storm). With the accounts held first, a grant in flight finishes before the delete goes on, and
    /// a later one waits for it (then finds its account gone). The tenants' rows come first because a service account's app
    /// create references its tenant's row (the app) and then its account's (the grant).
    /// </summary>
    Task LockTenantsAndAccountsOfSubtreeAsync(TenantId tenant, CancellationToken cancellationToken);

    /// <summary>Locks every grant of the service account (in app order) until the transaction ends.</summary>
    Task LockGrantsOfServiceAccountAsync(ServiceAccountId serviceAccount, CancellationToken cancellationToken);
}
