using Provisioning.Application.Common.Audit;
using Provisioning.Domain.Audit;
using Mediator;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Security;
using Provisioning.Domain.ServiceAccounts;

namespace Provisioning.Application.ServiceAccounts.Commands.CreateServiceAccount;

/// <summary>Creates a service account; display names are unique per tenant, in any case and any Unicode form of the same text (409).</summary>
public sealed record CreateServiceAccountCommand(string? DisplayName) : ICommand<ServiceAccountDto>, IAuditedCommand
{
    public AuditEventType EventType => AuditEventType.ServiceAccountCreated;
}

public sealed class CreateServiceAccountCommandHandler(IAuditTrail audit, IProvisioningDbContext db, ICallerContext callerContext, TimeProvider clock)
    : ICommandHandler<CreateServiceAccountCommand, ServiceAccountDto>
{
    public async ValueTask<ServiceAccountDto> Handle(CreateServiceAccountCommand command, CancellationToken cancellationToken)
    {
        var caller = callerContext.Caller;
        var account = ServiceAccount.Create(caller.TenantId, command.DisplayName, clock.GetUtcNow());
        await db.EnsureNameIsFreeAsync(account, cancellationToken);
        audit.Record(AuditResource.ServiceAccount(account.Id), ["displayName"]);
        db.ServiceAccounts.Add(account);
        await db.SaveChangesAsync(cancellationToken);
        return account.ToDto();
    }
}
