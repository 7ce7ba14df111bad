using Microsoft.EntityFrameworkCore;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Exceptions;
using Provisioning.Application.Common.Security;
using Provisioning.Domain.Common;
using Provisioning.Domain.Tenants;

namespace Provisioning.Application.Tenants;

/// <summary>
/// Which tenants a caller can reach: the tenant it acts in and that tenant's descendants. Siblings,
/// parents and strangers look exactly like missing tenants (404). <c>self</c> names the acting tenant.
/// </summary>
public static class TenantAccess
{
    public const string Self = "self";

    public static async Task<Tenant> GetVisibleTenantAsync(
        this IProvisioningDbContext db, Caller caller, string idOrSelf, CancellationToken cancellationToken, bool withUsers = false)
    {
        var id = idOrSelf == Self ? caller.TenantId.Value : idOrSelf;
        if (!IdGenerator.IsValid(id))
        {
            throw new NotFoundException("Tenant");
        }

        var tenantId = new TenantId(id);
        var acting = caller.TenantId.Value;
        IQueryable<Tenant> query = withUsers ? db.Tenants.Include(t => t.Users) : db.Tenants;
        return await query.FirstOrDefaultAsync(t => t.Id == tenantId && t.Path.Contains(acting), cancellationToken)
            ?? throw new NotFoundException("Tenant");
    }

    /// <summary>True when the caller's own (home) tenant is a strict ancestor of <paramref name="tenant"/>: only then may it set limits or delete it.</summary>
    public static bool IsAncestorOf(this Caller caller, Tenant tenant) =>
        tenant.Id != caller.HomeTenantId && tenant.Path.Contains(caller.HomeTenantId.Value);

    /// <summary>Effective settings in one query: every ancestor's own settings, laid over each other root first.</summary>
    public static async Task<Dictionary<string, Dictionary<string, string>>> EffectiveSettingsAsync(
        this IProvisioningDbContext db, Tenant tenant, CancellationToken cancellationToken)
    {
        var ancestors = tenant.Path[..^1].Select(p => new TenantId(p)).ToList();
        var layers = await db.Tenants.AsNoTracking().Where(t => ancestors.Contains(t.Id))
            .Select(t => new { t.Id, t.OwnSettings }).ToListAsync(cancellationToken);
        var byId = layers.ToDictionary(l => l.Id.Value, l => (IReadOnlyDictionary<string, Dictionary<string, string>>)l.OwnSettings);
        var rootFirst = tenant.Path[..^1].Where(byId.ContainsKey).Select(p => byId[p]).Append(tenant.OwnSettings);
        return TenantSettings.Effective(rootFirst);
    }

    public static async Task<TenantDto> ToDtoAsync(this IProvisioningDbContext db, Tenant tenant, CancellationToken cancellationToken)
    {
        var settings = await db.EffectiveSettingsAsync(tenant, cancellationToken);
        var appCount = await db.Apps.CountAsync(a => a.TenantId == tenant.Id, cancellationToken);
        var users = await db.TenantUsers.AsNoTracking().Where(u => u.TenantId == tenant.Id).OrderBy(u => u.Email)
            .Select(u => u.Email).ToListAsync(cancellationToken);
        return new TenantDto(tenant.Id.Value, tenant.Name, tenant.ParentId?.Value, tenant.LogoUrl, tenant.Contacts, settings,
            tenant.OwnSettings, users, tenant.MaxApps, appCount, tenant.CreatedAt);
    }

    public static TenantSummaryDto ToSummary(this Tenant tenant) =>
        new(tenant.Id.Value, tenant.Name, tenant.ParentId?.Value, tenant.LogoUrl, tenant.Contacts, tenant.MaxApps, tenant.CreatedAt);
}
