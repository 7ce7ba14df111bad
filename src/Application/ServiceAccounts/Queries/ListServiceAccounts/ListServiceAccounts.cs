using Mediator;
using Microsoft.EntityFrameworkCore;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Paging;
using Provisioning.Application.Common.Security;
using Provisioning.Domain.Common;
using Provisioning.Domain.ServiceAccounts;

namespace Provisioning.Application.ServiceAccounts.Queries.ListServiceAccounts;

/// <summary>The tenant's service accounts, oldest first, by cursor (v2).</summary>
public sealed record ListServiceAccountsQuery(PageRequest Page) : IQuery<Page<ServiceAccountDto>>;

/// <summary>The tenant's service accounts, oldest first, by offset (v1.1).</summary>
public sealed record ListServiceAccountsByOffsetQuery(OffsetPageRequest Page) : IQuery<OffsetPage<ServiceAccountDto>>;

public sealed class ListServiceAccountsQueryHandler(IProvisioningDbContext db, ICallerContext callerContext, ITenantServiceAccountPages tenantPages)
    : IQueryHandler<ListServiceAccountsQuery, Page<ServiceAccountDto>>,
      IQueryHandler<ListServiceAccountsByOffsetQuery, OffsetPage<ServiceAccountDto>>
{
    public async ValueTask<Page<ServiceAccountDto>> Handle(ListServiceAccountsQuery query, CancellationToken cancellationToken) =>
        (await Accounts().ToPageAsync(s => s.Id, v => new ServiceAccountId(v), v => v.Value, query.Page, cancellationToken)).Map(s => s.ToDto());

    public async ValueTask<OffsetPage<ServiceAccountDto>> Handle(ListServiceAccountsByOffsetQuery query, CancellationToken cancellationToken)
    {
        // The caller sees exactly one tenant's accounts, which page by keyset under the hood (ITenantServiceAccountPages).
        var page = await tenantPages.PageAsync(callerContext.Caller.ServiceAccountsTenant(), query.Page, cancellationToken);
        return new OffsetPage<ServiceAccountDto>([.. page.Items.Select(s => s.ToDto())], page.HasMore, page.Offset);
    }

    private IQueryable<ServiceAccount> Accounts() =>
        db.VisibleServiceAccounts(callerContext.Caller).AsNoTracking();
}
