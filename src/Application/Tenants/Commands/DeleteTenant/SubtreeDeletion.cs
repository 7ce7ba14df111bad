using Microsoft.EntityFrameworkCore;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Audit;
using Provisioning.Application.Common.Exceptions;
using Provisioning.Domain.Audit;
using Provisioning.Domain.Tenants;

namespace Provisioning.Application.Tenants.Commands.DeleteTenant;

/// <summary>
/// What deleting a tenant does, for the API's <c>DELETE /v2/tenants/{id}</c> and the operator's <c>delete-tenant</c>: the
/// tenant and everything under it (apps, service accounts, keys, child tenants) in the command's one transaction, so every
/// credential of the subtree stops working at once.
/// </summary>
public sealed class SubtreeDeletion(IAuditTrail audit, IProvisioningDbContext db, ITenantBudgets budgets, ICascadeLocks cascade)
{
    public async Task DeleteAsync(Tenant tenant, CancellationToken cancellationToken)
    {
        // Other deletions there first (see ICascadeLocks); then the grants of its apps, as a service account's change of an app
        // takes its grant before anything else; then,
        // after the budgets, the rows of its subtree's tenants and service accounts, which grants and creates in flight hold
        // before they reach an app (see ICascadeLocks). Everything below goes with it (every tenant-owned table cascades on delete, or for
        // the service accounts' counter slots goes by a trigger on tenants), and its ancestors'
        // budgets get it back.
        await cascade.WaitForDeletionsAsync(tenant.Id, tenant.Id.Value, cancellationToken);
        await cascade.LockGrantsOfSubtreeAsync(tenant.Id, cancellationToken);
        await budgets.ReleaseSubtreeAsync(tenant.Id, cancellationToken);
        await cascade.LockTenantsAndAccountsOfSubtreeAsync(tenant.Id, cancellationToken);
        // Its keys' revocation follows from their rows going (see Infrastructure/Credentials/Revocation).
        // Filed under its parent, which outlives it (its ancestors see it; the tenant's own events go with the trail).
        audit.Record(AuditResource.Tenant(tenant.Id), tenantId: tenant.ParentId);
        if (await db.Tenants.Where(t => t.Id == tenant.Id).ExecuteDeleteAsync(cancellationToken) == 0)
        {
            // Another request deleted it first (this one waited for its row, then found it gone): 404, and the rollback
            // takes back this request's release of the budgets and its event, which the first delete already made.
            throw NotFoundException.Tenant();
        }
    }
}
