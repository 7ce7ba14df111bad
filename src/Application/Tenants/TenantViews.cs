using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Security;
using Provisioning.Domain.Tenants;

namespace Provisioning.Application.Tenants;

/// <summary>How a tenant is read: its effective settings and its view (who may read it is <see cref="CallerScope"/>'s).</summary>
public static class TenantViews
{
    /// <summary>
    /// A tenant's DTO: what needs the store is read here, the mapping is <see cref="TenantMapper"/>'s.
    /// <paramref name="changedAt"/>: a change of the tenant this request made, whose event is not written until the COMMIT.
    /// </summary>
    public static async Task<TenantDto> ToDtoAsync(
        this ITenantViewReads reads, Tenant tenant, CancellationToken cancellationToken, DateTimeOffset? changedAt = null)
    {
        var read = await reads.ReadAsync(tenant, cancellationToken);
        var settings = TenantSettings.Effective(read.AncestorSettingsRootFirst.Append(tenant.OwnSettings));
        // The last change made in the tenant: its last event, or this request's change, whose event is written with the COMMIT.
        var lastChange = changedAt > read.LastEventAt || read.LastEventAt is null ? changedAt : read.LastEventAt;
        var lastActivity = lastChange > tenant.LastCredentialUseAt || tenant.LastCredentialUseAt is null ? lastChange : tenant.LastCredentialUseAt;
        return tenant.ToDto(settings, read.Users, read.AppCount, lastActivity);
    }
}
