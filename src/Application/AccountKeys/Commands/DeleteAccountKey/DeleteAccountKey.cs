using Provisioning.Application.Common.Audit;
using Provisioning.Domain.Audit;
using Mediator;
using Microsoft.EntityFrameworkCore;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Exceptions;
using Provisioning.Application.Common.Security;
using Provisioning.Application.Keys;
using Provisioning.Domain.Credentials;

namespace Provisioning.Application.AccountKeys.Commands.DeleteAccountKey;

/// <summary>
/// Deletes an account key; it stops working at once. A working (enabled, unexpired) account key cannot be deleted (409)
/// unless another works and expires no sooner, or never: the tenant would be locked out, now or at an expiry
/// (<see cref="Domain.Credentials.ApiKey.EnsureMayStopWorking"/>).
/// </summary>
public sealed record DeleteAccountKeyCommand(string KeyId) : ICommand<Unit>, IAuditedCommand
{
    public AuditEventType EventType => AuditEventType.AccountKeyDeleted;
}

public sealed class DeleteAccountKeyCommandHandler(
    IAuditTrail audit, IProvisioningDbContext db, ICallerContext callerContext, ITenantLocks locks, TimeProvider clock)
    : ICommandHandler<DeleteAccountKeyCommand, Unit>
{
    public async ValueTask<Unit> Handle(DeleteAccountKeyCommand command, CancellationToken cancellationToken)
    {
        var tenant = callerContext.Caller.TenantId;
        var accountKeys = db.VisibleAccountKeys(callerContext.Caller);

        // Two concurrent deletions must not remove the last two keys: count under the tenant lock. The key is read after it
        // is taken, and its row locked and read again: read before, a key enabled meanwhile (enabling takes no tenant lock)
        // was still seen disabled, deleted without the check, after another delete had counted it as the standby.
        await locks.LockAsync(tenant, cancellationToken);
        var key = await db.GetKeyForChangeAsync(accountKeys, command.KeyId, KeyKind.Account, cancellationToken);
        var now = clock.GetUtcNow();
        key.EnsureMayStopWorking(await accountKeys.CountOtherLastingAsync(key, now, cancellationToken), now);

        audit.Record(AuditResources.Key(key));
        db.ApiKeys.Remove(key);
        await db.SaveChangesAsync(cancellationToken);
        return Unit.Value;
    }
}
