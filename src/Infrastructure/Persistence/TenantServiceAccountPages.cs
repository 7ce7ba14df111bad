using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Paging;
using Provisioning.Domain.Common;
using Provisioning.Domain.ServiceAccounts;

namespace Provisioning.Infrastructure.Persistence;

/// <summary>
/// <see cref="ITenantServiceAccountPages"/>: keyset under the hood (<see cref="RememberedOffsetPages{TEntity}"/>), the
/// version kept in <c>tenant_service_account_counts</c> (migration ServiceAccountCounts).
/// </summary>
internal sealed class TenantServiceAccountPages(ProvisioningDbContext db, OffsetAnchors anchors) : ITenantServiceAccountPages
{
    private static readonly RememberedOffsetPages<ServiceAccount> Accounts =
        RememberedOffsetPages<ServiceAccount>.OfTenant("service_accounts", "tenant_service_account_counts", s => s.Id.Value);

    public Task<OffsetPage<ServiceAccount>> PageAsync(TenantId tenant, OffsetPageRequest page, CancellationToken cancellationToken) =>
        Accounts.PageAsync(db, anchors, [tenant.Value], page, cancellationToken);
}
