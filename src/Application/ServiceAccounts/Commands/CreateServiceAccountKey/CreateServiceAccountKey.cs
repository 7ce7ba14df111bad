using Provisioning.Application.Common.Audit;
using Provisioning.Domain.Audit;
using Mediator;
using Microsoft.EntityFrameworkCore;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Security;
using Provisioning.Application.Keys;
using Provisioning.Domain.Credentials;

namespace Provisioning.Application.ServiceAccounts.Commands.CreateServiceAccountKey;

/// <summary>Creates an <c>svc_</c> key for a service account; at most 10 per account.</summary>
public sealed record CreateServiceAccountKeyCommand(string ServiceAccountId, string? DisplayName, DateTimeOffset? ExpiresAt = null) : ICommand<KeyDto>, IAuditedCommand
{
    public AuditEventType EventType => AuditEventType.ServiceAccountKeyCreated;
}

public sealed class CreateServiceAccountKeyCommandHandler(
    IAuditTrail audit, IProvisioningDbContext db, ICallerContext callerContext, KeyIssuer keys)
    : ICommandHandler<CreateServiceAccountKeyCommand, KeyDto>
{
    public async ValueTask<KeyDto> Handle(CreateServiceAccountKeyCommand command, CancellationToken cancellationToken)
    {
        var caller = callerContext.Caller;
        var account = await db.GetServiceAccountAsync(caller, command.ServiceAccountId, cancellationToken);

        var (key, secret) = await keys.IssueAsync(new KeyOwner.ServiceAccount(account.TenantId, account.Id), command.DisplayName, cancellationToken, command.ExpiresAt);
        audit.Record(AuditResources.Key(key), AuditChanges.Of(("displayName", true), ("expiresAt", command.ExpiresAt is not null)), AuditResource.ServiceAccount(account.Id));
        await db.SaveChangesAsync(cancellationToken);
        return key.ToDto(secret);
    }
}
