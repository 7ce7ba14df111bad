using Mediator;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Security;

namespace Provisioning.Application.Tenants.Queries.GetTenant;

/// <summary>A tenant the caller can see (itself or a descendant; <c>self</c> for itself).</summary>
public sealed record GetTenantQuery(string TenantId) : IQuery<TenantDto>;

public sealed class GetTenantQueryHandler(IProvisioningDbContext db, ICallerContext callerContext, ITenantViewReads views)
    : IQueryHandler<GetTenantQuery, TenantDto>
{
    public async ValueTask<TenantDto> Handle(GetTenantQuery query, CancellationToken cancellationToken) =>
        await views.ToDtoAsync(await db.GetVisibleTenantAsync(callerContext.Caller, query.TenantId, cancellationToken), cancellationToken);
}
