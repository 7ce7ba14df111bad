using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Paging;
using Provisioning.Domain.Apps;
using Provisioning.Domain.Common;

namespace Provisioning.Infrastructure.Persistence;

/// <summary>
/// <see cref="ITenantAppPages"/>: the tenant's apps by keyset under the hood (<see cref="RememberedOffsetPages{TEntity}"/>,
/// the version kept in <c>tenant_app_counts</c>); an account's grants counted on their index (<see cref="GrantedApps"/>).
/// </summary>
internal sealed class TenantAppPages(ProvisioningDbContext db, OffsetAnchors anchors) : ITenantAppPages
{
    private static readonly RememberedOffsetPages<App> Apps = new("apps", "tenant_app_counts", a => a.Id.Value);

    public Task<OffsetPage<App>> PageAsync(TenantId tenant, OffsetPageRequest page, CancellationToken cancellationToken) =>
        Apps.PageAsync(db, anchors, tenant, page, cancellationToken);

    public async Task<OffsetPage<App>> GrantedPageAsync(
        TenantId tenant, ServiceAccountId account, OffsetPageRequest page, CancellationToken cancellationToken) =>
        RememberedOffsetPages<App>.Result(
            await GrantedApps.AtOffsetAsync(db, tenant, account, page.EffectiveOffset, page.EffectiveLimit + 1, cancellationToken),
            page.EffectiveLimit, page.EffectiveOffset);
}
