using Provisioning.Application.Common.Audit;
using Provisioning.Domain.Audit;
using Mediator;
using Microsoft.EntityFrameworkCore;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Exceptions;
using Provisioning.Application.Common.Security;
using Provisioning.Application.Keys;
using Provisioning.Domain.Credentials;

namespace Provisioning.Application.Tenants.Commands.ProvisionTenant;

/// <summary>
/// Creates a child of the caller's (acting) tenant, DailyStory style. <see cref="Key"/> must be the
/// secret of a live provisioning key of that tenant. Answers the new tenant's id and an API token
/// (an account credential of the child). One transaction: a failure leaves nothing behind.
/// </summary>
public sealed record ProvisionTenantCommand(
    string? Name,
    string? Key,
    string? LogoUrl,
    int? Contacts,
    IReadOnlyList<string>? Emails,
    IReadOnlyDictionary<string, Dictionary<string, string?>?>? Settings) : ICommand<ProvisionedTenantDto>, IAuditedCommand
{
    public AuditEventType EventType => AuditEventType.TenantProvisioned;

    /// <summary>Printed without the key (a secret), as every message and request that holds one.</summary>
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append($"Name = {Name}, Key = {(Key is null ? "null" : "(secret)")}, LogoUrl = {Domain.Common.Text.PrintableUrl(LogoUrl)}, Contacts = {Contacts}");
        return true;
    }
}

public sealed class ProvisionTenantCommandHandler(
    IAuditTrail audit, IProvisioningDbContext db, ICallerContext callerContext, ISecretHasher hasher, KeyIssuer keys, ITenantBudgets budgets, TimeProvider clock)
    : ICommandHandler<ProvisionTenantCommand, ProvisionedTenantDto>
{
    public async ValueTask<ProvisionedTenantDto> Handle(ProvisionTenantCommand command, CancellationToken cancellationToken)
    {
        var caller = callerContext.Caller;

        // The key sent is found by its hash (an index probe), not compared with each of the tenant's keys: that hashed a
        // 100 KB "key" once per key, and a tenant with 2,000 keys made each attempt cost a second of CPU.
        var now = clock.GetUtcNow();
        var matches = false;
        if (!string.IsNullOrEmpty(command.Key))
        {
            ReadOnlyMemory<byte> hash = hasher.Hash(command.Key);
            var found = await db.VisibleProvisioningKeys(caller).AsNoTracking().Where(k => k.SecretHash.Equals(hash))
                .ToListAsync(cancellationToken);
            matches = found.Any(k => k.WorksAt(now));
        }

        if (!matches)
        {
            throw new UnauthorizedException(string.IsNullOrEmpty(command.Key)
                ? "key (a provisioning key of this tenant) is required."
                : "The provisioning key is not valid for this tenant.");
        }

        var parent = await db.GetCallersTenantAsync(caller.TenantId, cancellationToken);
        var grantor = caller.HomeTenantId == parent.Id ? parent : await db.GetCallersTenantAsync(caller.HomeTenantId, cancellationToken);
        var child = parent.CreateChild(command.Name, command.LogoUrl, command.Contacts, command.Emails, command.Settings, now, grantor);

        // Counts against the tenant budgets of the parent and its ancestors (402 when one is used up).
        await budgets.ReserveTenantAsync(parent.Id, cancellationToken);
        db.Tenants.Add(child);
        var (token, secret) = await keys.IssueAsync(new KeyOwner.Account(child.Id, IsTenantToken: true), null, cancellationToken);
        audit.Record(AuditResource.Tenant(child.Id), AuditChanges.Of(("name", true), ("logo_url", command.LogoUrl is not null), ("contacts", command.Contacts is not null), ("emails", command.Emails is { Count: > 0 }), ("settings", command.Settings is { Count: > 0 })));
        await db.SaveChangesAsync(cancellationToken);
        return new ProvisionedTenantDto(child.Id.Value, TenantToken.Format(token.Id.Value, secret));
    }
}
