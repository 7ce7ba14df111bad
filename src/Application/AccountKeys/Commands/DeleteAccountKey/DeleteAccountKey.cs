using Provisioning.Application.Common.Audit;
using Provisioning.Domain.Audit;
using Mediator;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Security;
using Provisioning.Application.Keys;

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
        var key = await db.GetAccountKeyToStopAsync(callerContext.Caller, command.KeyId, locks, clock, cancellationToken);
        audit.Record(AuditResources.Key(key));
        db.ApiKeys.Remove(key);
        await db.SaveChangesAsync(cancellationToken);
        return Unit.Value;
    }
}
