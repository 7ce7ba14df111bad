using Mediator;
using Microsoft.EntityFrameworkCore;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Exceptions;
using Provisioning.Application.Common.Paging;
using Provisioning.Application.Common.Security;
using Provisioning.Domain.Common;

namespace Provisioning.Application.Apps.Queries.ListApps;

/// <summary>Lists the apps the caller can reach, optionally only those one service account can access.</summary>
[AllowedCallers(CallerKinds.AccountOrServiceAccount)]
public sealed record ListAppsQuery(PageRequest Page, string? ServiceAccountId = null) : IQuery<Page<AppDto>>;

/// <summary>The same list by offset (v1.1).</summary>
[AllowedCallers(CallerKinds.AccountOrServiceAccount)]
public sealed record ListAppsByOffsetQuery(OffsetPageRequest Page, string? ServiceAccountId = null) : IQuery<OffsetPage<AppDto>>;

public sealed class ListAppsQueryHandler(IProvisioningDbContext db, ICallerContext callerContext, ITenantAppPages tenantAppPages)
    : IQueryHandler<ListAppsQuery, Page<AppDto>>, IQueryHandler<ListAppsByOffsetQuery, OffsetPage<AppDto>>
{
    public async ValueTask<Page<AppDto>> Handle(ListAppsQuery query, CancellationToken cancellationToken)
    {
        var apps = db.VisibleApps(callerContext.Caller, await GrantedToAsync(query.ServiceAccountId, cancellationToken)).AsNoTracking();
        var page = await apps.ToPageAsync(a => a.Id, v => new AppId(v), v => v.Value, query.Page, cancellationToken);
        return page.Map(a => a.ToDto());
    }

    public async ValueTask<OffsetPage<AppDto>> Handle(ListAppsByOffsetQuery query, CancellationToken cancellationToken)
    {
        var caller = callerContext.Caller;
        var grantedTo = await GrantedToAsync(query.ServiceAccountId, cancellationToken);
        // An account caller without a filter sees exactly the tenant's apps, and a service account (or a filter on one)
        // exactly its grants: both page by keyset or index under the hood (ITenantAppPages). Anything else by OFFSET.
        var page = caller.SeesEveryAppOfTenant() && grantedTo is null
            ? await tenantAppPages.PageAsync(caller.TenantId, query.Page, cancellationToken)
            : caller.Kind is CallerKinds.Account or CallerKinds.ServiceAccount
              && caller.GranteeOf(grantedTo) is { } grantee && (grantedTo is null || grantedTo == grantee)
                ? await tenantAppPages.GrantedPageAsync(caller.TenantId, grantee, query.Page, cancellationToken)
                : await db.VisibleApps(caller, grantedTo).AsNoTracking().ToOffsetPageAsync(a => a.Id, query.Page, cancellationToken);
        return new OffsetPage<AppDto>([.. page.Items.Select(a => a.ToDto())], page.HasMore, page.Offset);
    }

    /// <summary>The <c>serviceAccountId</c> filter, checked: a service account may name only itself; another tenant's account is 404.</summary>
    private async Task<ServiceAccountId?> GrantedToAsync(string? serviceAccountId, CancellationToken cancellationToken)
    {
        if (serviceAccountId is not { } filter)
        {
            return null;
        }

        var caller = callerContext.Caller;
        if (caller.IsServiceAccount && caller.ServiceAccountId!.Value.Value != filter)
        {
            throw new ForbiddenException("A service account may only filter on itself.");
        }

        var accountId = new ServiceAccountId(filter);
        if (!await db.VisibleServiceAccounts(caller).AnyAsync(s => s.Id == accountId, cancellationToken))
        {
            throw NotFoundException.ServiceAccount();
        }

        return accountId;
    }
}
