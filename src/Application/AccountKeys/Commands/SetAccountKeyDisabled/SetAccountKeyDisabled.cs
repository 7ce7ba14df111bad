using Provisioning.Application.Common.Audit;
using Provisioning.Domain.Audit;
using Mediator;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Security;
using Provisioning.Application.Keys;
using Provisioning.Domain.Credentials;

namespace Provisioning.Application.AccountKeys.Commands.SetAccountKeyDisabled;

/// <summary>
/// Disables or enables an account key of the caller's tenant. Disabled, it answers 401 on every instance from the next
/// request (revocation follows the row change); enabled again, it works as before. A working account key cannot be disabled (409) unless
/// another works and expires no sooner, or never (<see cref="Domain.Credentials.ApiKey.EnsureMayStopWorking"/>).
/// </summary>
public sealed record SetAccountKeyDisabledCommand(string KeyId, bool Disabled) : ICommand<KeyDto>, IAuditedCommand
{
    public AuditEventType EventType => Disabled ? AuditEventType.KeyDisabled : AuditEventType.KeyEnabled;
}

public sealed class SetAccountKeyDisabledCommandHandler(IAuditTrail audit, IProvisioningDbContext db, ICallerContext callerContext, ITenantLocks locks, TimeProvider clock)
    : ICommandHandler<SetAccountKeyDisabledCommand, KeyDto>
{
    public async ValueTask<KeyDto> Handle(SetAccountKeyDisabledCommand command, CancellationToken cancellationToken)
    {
        var key = command.Disabled
            ? await db.GetAccountKeyToStopAsync(callerContext.Caller, command.KeyId, locks, clock, cancellationToken)
            : await db.GetKeyForChangeAsync(db.VisibleAccountKeys(callerContext.Caller), command.KeyId, KeyKind.Account, cancellationToken);

        // Already so: the same answer, no event.
        audit.RecordIfChanged(AuditResources.Key(key), AuditChanges.Of(("disabled", key.SetDisabled(command.Disabled))));
        await db.SaveChangesAsync(cancellationToken);
        return key.ToDto(null);
    }
}
