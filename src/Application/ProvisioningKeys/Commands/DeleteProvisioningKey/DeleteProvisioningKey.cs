using Provisioning.Application.Common.Audit;
using Provisioning.Domain.Audit;
using Mediator;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Security;

namespace Provisioning.Application.ProvisioningKeys.Commands.DeleteProvisioningKey;

/// <summary>Deletes a provisioning key; it no longer provisions tenants. Tenants made with it stay.</summary>
public sealed record DeleteProvisioningKeyCommand(string KeyId) : ICommand<Unit>, IAuditedCommand
{
    public AuditEventType EventType => AuditEventType.ProvisioningKeyDeleted;
}

public sealed class DeleteProvisioningKeyCommandHandler(IAuditTrail audit, IProvisioningDbContext db, ICallerContext callerContext)
    : ICommandHandler<DeleteProvisioningKeyCommand, Unit>
{
    public async ValueTask<Unit> Handle(DeleteProvisioningKeyCommand command, CancellationToken cancellationToken)
    {
        var key = await db.GetProvisioningKeyAsync(callerContext.Caller, command.KeyId, cancellationToken);
        audit.Record(AuditResources.Key(key));
        db.ProvisioningKeys.Remove(key);
        await db.SaveChangesAsync(cancellationToken);
        return Unit.Value;
    }
}
