using Provisioning.Application.Common.Audit;
using Provisioning.Domain.Audit;
using Mediator;
using Microsoft.EntityFrameworkCore;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Keys;
using Provisioning.Application.Common.Security;
using Provisioning.Domain.Credentials;
using Provisioning.Domain.Tenants;

namespace Provisioning.Application.Tenants.Commands.BootstrapRootTenant;

/// <summary>
/// Creates the root tenant and its first account key when there is none. The key id and secret
/// may be given (operator configuration); otherwise fresh ones are made and returned once.
/// </summary>
[SystemMessage]
public sealed record BootstrapRootTenantCommand(string? TenantName, string? KeyId, string? Secret) : ICommand<BootstrapResult>, IAuditedCommand
{
    public const string DefaultTenantName = "Root";

    public AuditEventType EventType => AuditEventType.TenantBootstrapped;

    /// <summary>The root's name: <see cref="TenantName"/>, or <see cref="DefaultTenantName"/> when that is blank.</summary>
    public string RootName => string.IsNullOrWhiteSpace(TenantName) ? DefaultTenantName : TenantName;

    /// <summary>Printed without the secret.</summary>
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append($"TenantName = {TenantName}, KeyId = {KeyId}, Secret = {(Secret is null ? "null" : "(secret)")}");
        return true;
    }
}

public sealed class BootstrapRootTenantCommandHandler(
    IAuditTrail audit, IProvisioningDbContext db, ISecretProtector protector, ISecretGenerator secrets, TimeProvider clock)
    : ICommandHandler<BootstrapRootTenantCommand, BootstrapResult>
{
    public async ValueTask<BootstrapResult> Handle(BootstrapRootTenantCommand command, CancellationToken cancellationToken)
    {
        var existing = await db.Tenants.AsNoTracking().Where(t => t.ParentId == null).Select(t => t.Id).FirstOrDefaultAsync(cancellationToken);
        if (existing != default)
        {
            audit.NothingChanged(); // Started before: nothing to create.
            var configuredKeyMissing = !string.IsNullOrEmpty(command.KeyId)
                && !await db.ApiKeys.AnyAsync(k => k.Id == new KeyId(command.KeyId), cancellationToken);
            return new BootstrapResult(false, existing.Value, null, null, configuredKeyMissing);
        }

        var now = clock.GetUtcNow();
        var tenant = Tenant.CreateRoot(command.RootName, now);
        var secret = string.IsNullOrEmpty(command.Secret) ? secrets.NewSecret() : command.Secret; // BootstrapRootTenantCommandValidator

        var key = string.IsNullOrEmpty(command.KeyId)
            ? ApiKey.ForAccount(tenant.Id, "Bootstrap key", protector.ProtectFor(secret), now)
            : ApiKey.ForAccountWithId(new KeyId(command.KeyId), tenant.Id, "Bootstrap key", protector.ProtectFor(secret), now);

        db.Tenants.Add(tenant);
        db.ApiKeys.Add(key);
        audit.Record(AuditResource.Tenant(tenant.Id), ["name"], AuditResources.Key(key), tenant.Id);
        await db.SaveChangesAsync(cancellationToken);
        return new BootstrapResult(true, tenant.Id.Value, key.Id.Value, secret);
    }
}
