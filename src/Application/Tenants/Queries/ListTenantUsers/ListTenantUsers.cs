using Mediator;
using Microsoft.EntityFrameworkCore;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Security;

namespace Provisioning.Application.Tenants.Queries.ListTenantUsers;

public sealed record ListTenantUsersQuery(string TenantId) : IQuery<IReadOnlyList<TenantUserDto>>;

public sealed class ListTenantUsersQueryHandler(IProvisioningDbContext db, ICallerContext callerContext)
    : IQueryHandler<ListTenantUsersQuery, IReadOnlyList<TenantUserDto>>
{
    public async ValueTask<IReadOnlyList<TenantUserDto>> Handle(ListTenantUsersQuery query, CancellationToken cancellationToken)
    {
        var tenant = await db.GetVisibleTenantAsync(callerContext.Caller, query.TenantId, cancellationToken);
        return await db.TenantUsers.AsNoTracking().Where(u => u.TenantId == tenant.Id).OrderBy(u => u.Email)
            .ProjectToDto().ToListAsync(cancellationToken);
    }
}
