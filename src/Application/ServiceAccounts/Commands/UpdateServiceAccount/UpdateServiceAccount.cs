using Provisioning.Application.Common.Audit;
using Provisioning.Domain.Audit;
using Mediator;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Security;

namespace Provisioning.Application.ServiceAccounts.Commands.UpdateServiceAccount;

/// <summary>Renames a service account (409 when another one of the tenant has that name in any case or Unicode form).</summary>
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
        var account = await db.GetServiceAccountForChangeAsync(caller, command.ServiceAccountId, cancellationToken);
        var renamed = account.Rename(command.DisplayName);
        if (renamed)
        {
            await db.EnsureNameIsFreeAsync(account, cancellationToken);
        }

        // Renamed to the name it has: no event (an event names only what changed).
        audit.RecordIfChanged(AuditResource.ServiceAccount(account.Id), AuditChanges.Of(("displayName", renamed)));
        await db.SaveChangesAsync(cancellationToken);
        return account.ToDto();
    }
}
