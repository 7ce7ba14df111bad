using Microsoft.EntityFrameworkCore;
using Mediator;
using Provisioning.Application.Apps;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Paging;
using Provisioning.Application.Common.Security;
using Provisioning.Domain.Common;

namespace Provisioning.Application.ServiceAccounts.Queries.ListServiceAccountApps;

/// <summary>The apps a service account can access, oldest first, by cursor.</summary>
public sealed record ListServiceAccountAppsQuery(string ServiceAccountId, PageRequest Page) : IQuery<Page<AppDto>>;

public sealed class ListServiceAccountAppsQueryHandler(IProvisioningDbContext db, ICallerContext callerContext)
    : IQueryHandler<ListServiceAccountAppsQuery, Page<AppDto>>
{
    public async ValueTask<Page<AppDto>> Handle(ListServiceAccountAppsQuery query, CancellationToken cancellationToken)
    {
        var caller = callerContext.Caller;
        var account = await db.GetServiceAccountAsync(caller, query.ServiceAccountId, cancellationToken);
        var apps = db.VisibleApps(caller, grantedTo: account.Id).AsNoTracking();
        return (await apps.ToPageAsync(a => a.Id, v => new AppId(v), v => v.Value, query.Page, cancellationToken)).Map(a => a.ToDto());
    }
}
