using Provisioning.Application.Common.Audit;
using Provisioning.Domain.Audit;
using Mediator;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Security;

namespace Provisioning.Application.ServiceAccounts.Commands.UpdateServiceAccount;

/// <summary>Renames a service account (409 when another one of the tenant has that name in any case).</summary>
public sealed record UpdateServiceAccountCommand(string ServiceAccountId, string? DisplayName) : ICommand<ServiceAccountDto>, IAuditedCommand
{
    public AuditEventType EventType => AuditEventType.ServiceAccountUpdated;
}

public sealed class UpdateServiceAccountCommandHandler(IAuditTrail audit, IProvisioningDbContext db, ICallerContext callerContext)
    : ICommandHandler<UpdateServiceAccountCommand, ServiceAccountDto>
{
    public async ValueTask<ServiceAccountDto> Handle(UpdateServiceAccountCommand command, CancellationToken cancellationToken)
    {
        var caller = callerContext.Caller;
        var account = await db.GetServiceAccountAsync(caller, command.ServiceAccountId, cancellationToken);
        account.Rename(command.DisplayName);
        await db.EnsureNameIsFreeAsync(caller, account, cancellationToken);
        audit.Record(AuditResource.ServiceAccount(account.Id), ["displayName"]);
        await db.SaveChangesAsync(cancellationToken);
        return account.ToDto();
    }
}
