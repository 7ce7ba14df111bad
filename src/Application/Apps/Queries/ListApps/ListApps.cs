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
        var apps = await FilterAsync(query.ServiceAccountId, cancellationToken);
        var page = await apps.ToPageAsync(a => a.Id, v => new AppId(v), v => v.Value, query.Page, cancellationToken);
        return page.Map(a => a.ToDto());
    }

    public async ValueTask<OffsetPage<AppDto>> Handle(ListAppsByOffsetQuery query, CancellationToken cancellationToken)
    {
        var caller = callerContext.Caller;
        // An account caller without a filter sees exactly the tenant's apps: that list pages by keyset under the hood, so a
        // deep offset costs what a shallow one does once it has been reached (ITenantAppPages). Narrower views page by OFFSET.
        var page = caller.SeesEveryAppOfTenant() && query.ServiceAccountId is null
            ? await tenantAppPages.PageAsync(caller.TenantId, query.Page, cancellationToken)
            : await (await FilterAsync(query.ServiceAccountId, cancellationToken)).ToOffsetPageAsync(a => a.Id, query.Page, cancellationToken);
        return new OffsetPage<AppDto>([.. page.Items.Select(a => a.ToDto())], page.HasMore, page.Offset);
    }

    private async Task<IQueryable<Domain.Apps.App>> FilterAsync(string? serviceAccountId, CancellationToken cancellationToken)
    {
        var caller = callerContext.Caller;
        var apps = db.VisibleApps(caller);
        if (serviceAccountId is { } filter)
        {
            if (caller.IsServiceAccount && caller.ServiceAccountId!.Value.Value != filter)
            {
                throw new ForbiddenException("A service account may only filter on itself.");
            }

            var accountId = new ServiceAccountId(filter);
            if (!await db.VisibleServiceAccounts(caller).AnyAsync(s => s.Id == accountId, cancellationToken))
            {
                throw NotFoundException.ServiceAccount();
            }

            apps = apps.Where(a => db.AppGrants.Any(g => g.AppId == a.Id && g.ServiceAccountId == accountId));
        }

        return apps;
    }
}
