using Provisioning.Application.Common.Paging;
using Provisioning.Domain.Apps;
using Provisioning.Domain.Common;

namespace Provisioning.Application.Common.Abstractions;

/// <summary>
/// v1.1 offset pages of one tenant's apps (what an account caller sees; or those granted to one service account, below), answered by keyset under the hood where it can
/// be: a page's position is remembered as the id it starts at, valid for as long as the tenant's set of apps has not
/// changed, so the next page of a client paging through (offset += limit) and a page asked for again cost an index range
/// read however deep they are. The answer is always the one <c>ORDER BY id OFFSET n</c> gives.
/// </summary>
public interface ITenantAppPages
{
    Task<OffsetPage<App>> PageAsync(TenantId tenant, OffsetPageRequest page, CancellationToken cancellationToken);

    /// <summary>
    /// The same for the tenant's apps granted to <paramref name="account"/>, in the same order, read from the grants and
    /// remembered for as long as neither the tenant's apps nor the account's grants have changed. Exact because every
    /// grant pairs an app and a service account of one tenant (the database's rule: migrations GrantsWithinOneTenant and
    /// GrantsAcrossTenantsRemoved).
    /// </summary>
    Task<OffsetPage<App>> GrantedPageAsync(TenantId tenant, ServiceAccountId account, OffsetPageRequest page, CancellationToken cancellationToken);
}
