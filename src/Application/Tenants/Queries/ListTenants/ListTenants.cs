using Mediator;
using Microsoft.EntityFrameworkCore;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Paging;
using Provisioning.Application.Common.Security;
using Provisioning.Domain.Common;

namespace Provisioning.Application.Tenants.Queries.ListTenants;

/// <summary>The direct children of the acting tenant, oldest first.</summary>
public sealed record ListTenantsQuery(PageRequest Page) : IQuery<Page<TenantSummaryDto>>;

public sealed class ListTenantsQueryHandler(IProvisioningDbContext db, ICallerContext callerContext)
    : IQueryHandler<ListTenantsQuery, Page<TenantSummaryDto>>
{
    public async ValueTask<Page<TenantSummaryDto>> Handle(ListTenantsQuery query, CancellationToken cancellationToken)
    {
        var acting = callerContext.Caller.TenantId;
        var children = db.Tenants.AsNoTracking().Where(t => t.ParentId == acting);
        var page = await children.ToPageAsync(t => t.Id, v => new TenantId(v), v => v.Value, query.Page, cancellationToken);
        return page.Map(t => t.ToSummary());
    }
}
