using Provisioning.Application.Common.Audit;
using Provisioning.Domain.Audit;
using Mediator;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Exceptions;
using Provisioning.Application.Common.Security;

namespace Provisioning.Application.Tenants.Commands.RemoveTenantUser;

public sealed record RemoveTenantUserCommand(string TenantId, string Email) : ICommand<Unit>, IAuditedCommand
{
    public AuditEventType EventType => AuditEventType.TenantUserRemoved;
}

public sealed class RemoveTenantUserCommandHandler(IAuditTrail audit, IProvisioningDbContext db, ICallerContext callerContext)
    : ICommandHandler<RemoveTenantUserCommand, Unit>
{
    public async ValueTask<Unit> Handle(RemoveTenantUserCommand command, CancellationToken cancellationToken)
    {
        var tenant = await db.GetVisibleTenantAsync(callerContext.Caller, command.TenantId, cancellationToken, withUsers: true);
        if (!tenant.RemoveUser(command.Email))
        {
            throw NotFoundException.User();
        }

        audit.Record(AuditResources.TenantUser(command.Email), related: AuditResource.Tenant(tenant.Id), tenantId: tenant.Id);
        await db.SaveChangesAsync(cancellationToken);
        return Unit.Value;
    }
}
