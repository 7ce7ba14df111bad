using Microsoft.EntityFrameworkCore;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Exceptions;
using Provisioning.Application.Common.Security;
using Provisioning.Domain.Common;
using Provisioning.Domain.Tenants;

namespace Provisioning.Application.Tenants;

/// <summary>How a tenant is read: its effective settings and its view (who may read it is <see cref="CallerScope"/>'s).</summary>
public static class TenantViews
{
    /// <summary>Effective settings in one query: every ancestor's own settings, laid over each other root first.</summary>
    public static async Task<IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>> EffectiveSettingsAsync(
        this IProvisioningDbContext db, Tenant tenant, CancellationToken cancellationToken)
    {
        var ancestorIds = tenant.Path.SkipLast(1).ToList();
        var ancestors = ancestorIds.Select(p => new TenantId(p)).ToList();
        var layers = await db.Tenants.AsNoTracking().Where(t => ancestors.Contains(t.Id))
            .Select(t => new { t.Id, t.OwnSettings }).ToListAsync(cancellationToken);
        var byId = layers.ToDictionary(l => l.Id.Value, l => l.OwnSettings);
        var rootFirst = ancestorIds.Where(byId.ContainsKey).Select(p => byId[p]).Append(tenant.OwnSettings);
        return TenantSettings.Effective(rootFirst);
    }

    /// <summary>
    /// A tenant's DTO: what needs the store is read here, the mapping is <see cref="TenantMapper"/>'s.
    /// <paramref name="changedAt"/>: a change of the tenant this request made, whose event is not written until the COMMIT.
    /// </summary>
    public static async Task<TenantDto> ToDtoAsync(
        this IProvisioningDbContext db, Tenant tenant, ITenantBudgets budgets, CancellationToken cancellationToken, DateTimeOffset? changedAt = null)
    {
        var settings = await db.EffectiveSettingsAsync(tenant, cancellationToken);
        var appCount = await budgets.AppCountAsync(tenant.Id, cancellationToken);
        var users = await db.TenantUsers.AsNoTracking().Where(u => u.TenantId == tenant.Id).OrderBy(u => u.Email)
            .Select(u => u.Email).ToListAsync(cancellationToken);
        // The last change made in the tenant: one step down the (tenant_id, id) index, however many events it has.
        var lastChange = await db.AuditEvents.AsNoTracking().Where(e => e.TenantId == tenant.Id).OrderByDescending(e => e.Id)
            .Select(e => (DateTimeOffset?)e.CreatedAt).FirstOrDefaultAsync(cancellationToken);
        if (changedAt > lastChange || lastChange is null)
        {
            lastChange = changedAt;
        }

        var lastActivity = lastChange > tenant.LastCredentialUseAt || tenant.LastCredentialUseAt is null ? lastChange : tenant.LastCredentialUseAt;
        return tenant.ToDto(settings, users, appCount, lastActivity);
    }
}
