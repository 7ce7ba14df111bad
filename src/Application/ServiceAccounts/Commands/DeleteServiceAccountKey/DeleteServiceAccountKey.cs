using Provisioning.Application.Common.Audit;
using Provisioning.Domain.Audit;
using Mediator;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Security;
using Provisioning.Application.Keys;
using Provisioning.Domain.Credentials;

namespace Provisioning.Application.ServiceAccounts.Commands.DeleteServiceAccountKey;

/// <summary>Deletes a service-account key; Basic, JWTs signed with it and JWTs issued for it stop working at once.</summary>
public sealed record DeleteServiceAccountKeyCommand(string ServiceAccountId, string KeyId) : ICommand<Unit>, IAuditedCommand
{
    public AuditEventType EventType => AuditEventType.ServiceAccountKeyDeleted;
}

public sealed class DeleteServiceAccountKeyCommandHandler(
    IAuditTrail audit, IProvisioningDbContext db, ICallerContext callerContext)
    : ICommandHandler<DeleteServiceAccountKeyCommand, Unit>
{
    public async ValueTask<Unit> Handle(DeleteServiceAccountKeyCommand command, CancellationToken cancellationToken)
    {
        var account = await db.GetServiceAccountAsync(callerContext.Caller, command.ServiceAccountId, cancellationToken);
        var key = await db.ApiKeys.Where(k => k.ServiceAccountId == account.Id).GetKeyAsync(command.KeyId, KeyKind.ServiceAccount, cancellationToken);
        audit.Record(AuditResources.Key(key), related: AuditResource.ServiceAccount(account.Id));
        db.ApiKeys.Remove(key);
        await db.SaveChangesAsync(cancellationToken);
        return Unit.Value;
    }
}
