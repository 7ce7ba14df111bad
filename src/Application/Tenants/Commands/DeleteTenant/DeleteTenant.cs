using Provisioning.Application.Common.Audit;
using Provisioning.Domain.Audit;
using Mediator;
using Microsoft.EntityFrameworkCore;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Exceptions;
using Provisioning.Application.Common.Security;
using Provisioning.Application.Keys;

namespace Provisioning.Application.Tenants.Commands.DeleteTenant;

/// <summary>
/// Deletes a tenant and everything under it (apps, service accounts, keys, child tenants) in one
/// transaction; every credential of the subtree stops working at once. Only an ancestor may.
/// </summary>
public sealed record DeleteTenantCommand(string TenantId) : ICommand<Unit>, IAuditedCommand
{
    public AuditEventType EventType => AuditEventType.TenantDeleted;
}

public sealed class DeleteTenantCommandHandler(
    IAuditTrail audit, IProvisioningDbContext db, ICallerContext callerContext, ITenantBudgets budgets, ICascadeLocks cascade)
    : ICommandHandler<DeleteTenantCommand, Unit>
{
    public async ValueTask<Unit> Handle(DeleteTenantCommand command, CancellationToken cancellationToken)
    {
        var caller = callerContext.Caller;
        var tenant = await db.GetVisibleTenantAsync(caller, command.TenantId, cancellationToken);
        if (!caller.IsStrictAncestorOf(tenant))
        {
            throw new ForbiddenException("A tenant cannot delete itself; an ancestor can.");
        }

        // The grants of its apps first, as a service account's change of an app takes its grant before anything else (see
        // ICascadeLocks). Everything below goes with it (every tenant-owned table cascades on delete), and its ancestors'
        // budgets get it back.
        await cascade.LockGrantsOfSubtreeAsync(tenant.Id, cancellationToken);
        await budgets.ReleaseSubtreeAsync(tenant.Id, cancellationToken);
        // Its keys' revocation follows from their rows going (see Infrastructure/Credentials/Revocation).
        // Filed under its parent, which outlives it (its ancestors see it; the tenant's own events go with the trail).
        audit.Record(AuditResource.Tenant(tenant.Id), tenantId: tenant.ParentId);
        if (await db.Tenants.Where(t => t.Id == tenant.Id).ExecuteDeleteAsync(cancellationToken) == 0)
        {
            // Another request deleted it first (this one waited for its row, then found it gone): 404, and the rollback
            // takes back this request's release of the budgets and its event, which the first delete already made.
            throw NotFoundException.Tenant();
        }

        return Unit.Value;
    }
}
