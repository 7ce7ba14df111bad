using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Paging;
using Provisioning.Domain.Apps;
using Provisioning.Domain.Common;

namespace Provisioning.Infrastructure.Persistence;

/// <summary>
/// <see cref="ITenantAppPages"/>: by keyset under the hood (<see cref="RememberedOffsetPages{TEntity}"/>), the tenant's apps
/// versioned by <c>tenant_app_counts</c>, an account's granted apps by that and the account's grants (<see cref="GrantedApps"/>).
/// </summary>
internal sealed class TenantAppPages(ProvisioningDbContext db, OffsetAnchors anchors) : ITenantAppPages
{
    private static readonly RememberedOffsetPages<App> Apps = RememberedOffsetPages<App>.OfTenant("apps", "tenant_app_counts", a => a.Id.Value);
    private static readonly RememberedOffsetPages<App> Granted = new("app_grants", GrantedApps.Pages, a => a.Id.Value);

    public Task<OffsetPage<App>> PageAsync(TenantId tenant, OffsetPageRequest page, CancellationToken cancellationToken) =>
        Apps.PageAsync(db, anchors, [tenant.Value], page, cancellationToken);

    public Task<OffsetPage<App>> GrantedPageAsync(TenantId tenant, ServiceAccountId account, OffsetPageRequest page, CancellationToken cancellationToken) =>
        Granted.PageAsync(db, anchors, [tenant.Value, account.Value], page, cancellationToken);
}
