using Provisioning.Application.Common.Paging;
using Provisioning.Domain.Common;
using Provisioning.Domain.ServiceAccounts;

namespace Provisioning.Application.Common.Abstractions;

/// <summary>
/// v1.1 offset pages of one tenant's service accounts, answered by keyset under the hood as <see cref="ITenantAppPages"/>
/// answers the apps': a page's position is remembered as the id it starts at, valid for as long as the tenant's set of
/// service accounts has not changed. The answer is always the one <c>ORDER BY id OFFSET n</c> gives.
/// </summary>
public interface ITenantServiceAccountPages
{
    Task<OffsetPage<ServiceAccount>> PageAsync(TenantId tenant, OffsetPageRequest page, CancellationToken cancellationToken);
}
