using Provisioning.Application.Common.Audit;
using Provisioning.Domain.Audit;
using Mediator;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Security;
using Provisioning.Application.Keys;
using Provisioning.Domain.Credentials;

namespace Provisioning.Application.ServiceAccounts.Commands.SetServiceAccountKeyDisabled;

/// <summary>Disables or enables a service-account key (401 on every instance from the next request while disabled, its JWTs too).</summary>
public sealed record SetServiceAccountKeyDisabledCommand(string ServiceAccountId, string KeyId, bool Disabled) : ICommand<KeyDto>, IAuditedCommand
{
    public AuditEventType EventType => Disabled ? AuditEventType.KeyDisabled : AuditEventType.KeyEnabled;
}

public sealed class SetServiceAccountKeyDisabledCommandHandler(IAuditTrail audit, IProvisioningDbContext db, ICallerContext callerContext, ISecretProtector protector)
    : ICommandHandler<SetServiceAccountKeyDisabledCommand, KeyDto>
{
    public async ValueTask<KeyDto> Handle(SetServiceAccountKeyDisabledCommand command, CancellationToken cancellationToken)
    {
        var account = await db.GetServiceAccountAsync(callerContext.Caller, command.ServiceAccountId, cancellationToken);
        var key = await db.GetKeyForChangeAsync(db.ApiKeys.Where(k => k.ServiceAccountId == account.Id), command.KeyId, KeyKind.ServiceAccount, cancellationToken);
        // Already so: the same answer, no event.
        audit.RecordIfChanged(AuditResources.Key(key), AuditChanges.Of(("disabled", key.SetDisabled(command.Disabled))), AuditResource.ServiceAccount(account.Id));
        await db.SaveChangesAsync(cancellationToken);
        return key.ToDto(protector.SecretOf(key));
    }
}
