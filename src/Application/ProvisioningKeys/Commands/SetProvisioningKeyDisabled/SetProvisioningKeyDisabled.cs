using Provisioning.Application.Common.Audit;
using Provisioning.Domain.Audit;
using Mediator;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Security;

namespace Provisioning.Application.ProvisioningKeys.Commands.SetProvisioningKeyDisabled;

/// <summary>Disables or enables a provisioning key: while disabled it provisions nothing (401, as an unknown key).</summary>
public sealed record SetProvisioningKeyDisabledCommand(string Id, bool Disabled) : ICommand<ProvisioningKeyDto>, IAuditedCommand
{
    public AuditEventType EventType => Disabled ? AuditEventType.KeyDisabled : AuditEventType.KeyEnabled;
}

public sealed class SetProvisioningKeyDisabledCommandHandler(IAuditTrail audit, IProvisioningDbContext db, ICallerContext callerContext)
    : ICommandHandler<SetProvisioningKeyDisabledCommand, ProvisioningKeyDto>
{
    public async ValueTask<ProvisioningKeyDto> Handle(SetProvisioningKeyDisabledCommand command, CancellationToken cancellationToken)
    {
        var key = await db.GetProvisioningKeyForChangeAsync(callerContext.Caller, command.Id, cancellationToken);
        // Already so: the same answer, no event.
        audit.RecordIfChanged(AuditResources.Key(key), AuditChanges.Of(("disabled", key.SetDisabled(command.Disabled))));
        await db.SaveChangesAsync(cancellationToken);
        return key.ToDto(null);
    }
}
