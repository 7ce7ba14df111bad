using Provisioning.Application.Common.Audit;
using Provisioning.Domain.Audit;
using Mediator;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Security;
using Provisioning.Application.Keys;
using Provisioning.Domain.Credentials;

namespace Provisioning.Application.AppKeys.Commands.SetAppKeyDisabled;

/// <summary>Disables or enables an app key (401 on every instance from the next request while disabled).</summary>
[AllowedCallers(CallerKinds.AccountOrServiceAccount)]
public sealed record SetAppKeyDisabledCommand(string AppId, string KeyId, bool Disabled) : ICommand<AppKeyDto>, IAuditedCommand
{
    public AuditEventType EventType => Disabled ? AuditEventType.KeyDisabled : AuditEventType.KeyEnabled;
}

public sealed class SetAppKeyDisabledCommandHandler(IAuditTrail audit, IProvisioningDbContext db, ICallerContext callerContext, ISecretProtector protector)
    : ICommandHandler<SetAppKeyDisabledCommand, AppKeyDto>
{
    public async ValueTask<AppKeyDto> Handle(SetAppKeyDisabledCommand command, CancellationToken cancellationToken)
    {
        var app = await db.GetVisibleAppForChangeAsync(callerContext.Caller, command.AppId, cancellationToken);
        var key = await db.GetKeyForChangeAsync(db.ApiKeys.Where(k => k.AppId == app.Id), command.KeyId, KeyKind.App, cancellationToken);
        // Already so: the same answer, no event.
        audit.RecordIfChanged(AuditResources.Key(key), AuditChanges.Of(("disabled", key.SetDisabled(command.Disabled))), AuditResource.App(app.Id));
        await db.SaveChangesAsync(cancellationToken);
        return key.ToAppKeyDto(protector.SecretOf(key));
    }
}
