using Mediator;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Audit;
using Provisioning.Application.Common.Exceptions;
using Provisioning.Application.Common.Security;
using Provisioning.Application.Tenants.Commands.DeleteTenant;
using Provisioning.Domain.Audit;

namespace Provisioning.Application.Tenants.Commands.DeleteTenantAsOperator;

/// <summary>
/// The operator's <c>delete-tenant --tenant &lt;id&gt;</c>: the API's deletion (<see cref="SubtreeDeletion"/>) for a tenant
/// too large to delete within the API's 30 s for a statement; the verb lifts that limit. The authority is access to the
/// service's host and configuration, so this message is only ever sent by the command-line verb. The root cannot be
/// deleted (nothing would be left to provision from).
/// </summary>
[SystemMessage]
public sealed record DeleteTenantAsOperatorCommand(string Tenant) : ICommand<DeletedTenant>, IAuditedCommand
{
    public AuditEventType EventType => AuditEventType.TenantDeleted;
}

public sealed record DeletedTenant(string Id, string Name);

public sealed class DeleteTenantAsOperatorCommandHandler(IProvisioningDbContext db, SubtreeDeletion deletion)
    : ICommandHandler<DeleteTenantAsOperatorCommand, DeletedTenant>
{
    public async ValueTask<DeletedTenant> Handle(DeleteTenantAsOperatorCommand command, CancellationToken cancellationToken)
    {
        var tenant = await db.Tenants.NamedByOperatorAsync(command.Tenant, cancellationToken);
        if (tenant.ParentId is null)
        {
            throw new ForbiddenException("The root tenant cannot be deleted.");
        }

        await deletion.DeleteAsync(tenant, cancellationToken);
        return new DeletedTenant(tenant.Id.Value, tenant.Name);
    }
}
