using Provisioning.Application.Common.Audit;
using Provisioning.Domain.Audit;
using Mediator;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Security;
using Provisioning.Domain.Credentials;

namespace Provisioning.Application.ProvisioningKeys.Commands.CreateProvisioningKey;

/// <summary>Creates a provisioning key of the caller's tenant. Only its hash is stored; the secret is shown in this answer only.</summary>
public sealed record CreateProvisioningKeyCommand(string? DisplayName, DateTimeOffset? ExpiresAt = null) : ICommand<ProvisioningKeyDto>, IAuditedCommand
{
    public AuditEventType EventType => AuditEventType.ProvisioningKeyCreated;
}

public sealed class CreateProvisioningKeyCommandHandler(
    IAuditTrail audit, IProvisioningDbContext db, ICallerContext callerContext, ISecretGenerator secrets, ISecretHasher hasher, TimeProvider clock)
    : ICommandHandler<CreateProvisioningKeyCommand, ProvisioningKeyDto>
{
    public async ValueTask<ProvisioningKeyDto> Handle(CreateProvisioningKeyCommand command, CancellationToken cancellationToken)
    {
        var secret = secrets.NewSecret();
        var key = ProvisioningKey.Create(callerContext.Caller.TenantId, command.DisplayName!, hasher.Hash(secret), clock.GetUtcNow(), command.ExpiresAt);
        audit.Record(AuditResources.Key(key), AuditChanges.Of(("displayName", true), ("expiresAt", command.ExpiresAt is not null)));
        db.ProvisioningKeys.Add(key);
        await db.SaveChangesAsync(cancellationToken);
        return key.ToDto(secret);
    }
}
