using Provisioning.Application.Common.Audit;
using Provisioning.Domain.Audit;
using Mediator;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Security;
using Provisioning.Application.Keys;
using Provisioning.Domain.Credentials;

namespace Provisioning.Application.AccountKeys.Commands.CreateAccountKey;

/// <summary>Creates an <c>act_</c> key of the caller's tenant. Its secret is shown in this answer only.</summary>
public sealed record CreateAccountKeyCommand(string? DisplayName, DateTimeOffset? ExpiresAt = null) : ICommand<KeyDto>, IAuditedCommand
{
    public AuditEventType EventType => AuditEventType.AccountKeyCreated;
}

public sealed class CreateAccountKeyCommandHandler(
    IAuditTrail audit, IProvisioningDbContext db, ICallerContext callerContext, KeyIssuer keys)
    : ICommandHandler<CreateAccountKeyCommand, KeyDto>
{
    public async ValueTask<KeyDto> Handle(CreateAccountKeyCommand command, CancellationToken cancellationToken)
    {
        var (key, secret) = await keys.IssueAsync(new KeyOwner.Account(callerContext.Caller.TenantId), command.DisplayName, cancellationToken, command.ExpiresAt);
        audit.Record(AuditResources.Key(key), AuditChanges.Of(("displayName", true), ("expiresAt", command.ExpiresAt is not null)));
        await db.SaveChangesAsync(cancellationToken);
        return key.ToDto(secret);
    }
}
