using Provisioning.Application.Common.Audit;
using Provisioning.Domain.Audit;
using Mediator;
using Microsoft.EntityFrameworkCore;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Security;
using Provisioning.Application.Keys;

namespace Provisioning.Application.ServiceAccounts.Commands.DeleteServiceAccount;

/// <summary>Deletes a service account with its keys and grants (its apps stay); its keys stop working at once.</summary>
public sealed record DeleteServiceAccountCommand(string ServiceAccountId) : ICommand<Unit>, IAuditedCommand
{
    public AuditEventType EventType => AuditEventType.ServiceAccountDeleted;
}

public sealed class DeleteServiceAccountCommandHandler(
    IAuditTrail audit, IProvisioningDbContext db, ICallerContext callerContext, ICascadeLocks cascade)
    : ICommandHandler<DeleteServiceAccountCommand, Unit>
{
    public async ValueTask<Unit> Handle(DeleteServiceAccountCommand command, CancellationToken cancellationToken)
    {
        var account = await db.GetServiceAccountAsync(callerContext.Caller, command.ServiceAccountId, cancellationToken);

        // Other deletions of it, of its tenant or of an ancestor first; then its grants before its row, as its tenant's delete
        // takes them (see ICascadeLocks).
        await cascade.WaitForDeletionsAsync(account.TenantId, account.Id.Value, cancellationToken);
        await cascade.LockGrantsOfServiceAccountAsync(account.Id, cancellationToken);

        // Keys and grants go with it (ON DELETE CASCADE).
        audit.Record(AuditResource.ServiceAccount(account.Id));
        db.ServiceAccounts.Remove(account);
        await db.SaveChangesAsync(cancellationToken);
        return Unit.Value;
    }
}
