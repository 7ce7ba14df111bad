using Provisioning.Application.Common.Audit;
using Provisioning.Domain.Audit;
using Mediator;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Exceptions;
using Provisioning.Application.Common.Security;

namespace Provisioning.Application.Tenants.Commands.DeleteTenant;

/// <summary>
/// Deletes a tenant and everything under it (apps, service accounts, keys, child tenants) in one
/// transaction; every credential of the subtree stops working at once. Only an ancestor may.
/// </summary>
public sealed record DeleteTenantCommand(string TenantId) : ICommand<Unit>, IAuditedCommand
{
    public AuditEventType EventType => AuditEventType.TenantDeleted;
}

public sealed class DeleteTenantCommandHandler(IProvisioningDbContext db, ICallerContext callerContext, SubtreeDeletion deletion)
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

        await deletion.DeleteAsync(tenant, cancellationToken);
        return Unit.Value;
    }
}
