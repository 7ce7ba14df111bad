using Mediator;
using Microsoft.EntityFrameworkCore;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Exceptions;
using Provisioning.Application.Common.Security;
using Provisioning.Domain.Tenants;

namespace Provisioning.Application.Tenants.Queries.GetTenantUser;

/// <summary>One user of a tenant, by address (matched as a removal matches it: <see cref="TenantUser.Canonical"/>).</summary>
public sealed record GetTenantUserQuery(string TenantId, string Email) : IQuery<TenantUserDto>;

public sealed class GetTenantUserQueryHandler(IProvisioningDbContext db, ICallerContext callerContext)
    : IQueryHandler<GetTenantUserQuery, TenantUserDto>
{
    public async ValueTask<TenantUserDto> Handle(GetTenantUserQuery query, CancellationToken cancellationToken)
    {
        var tenant = await db.GetVisibleTenantAsync(callerContext.Caller, query.TenantId, cancellationToken);
        var email = TenantUser.Canonical(query.Email);
        return await db.TenantUsers.AsNoTracking().Where(u => u.TenantId == tenant.Id && u.Email == email)
                   .ProjectToDto().SingleOrDefaultAsync(cancellationToken)
               ?? throw NotFoundException.User();
    }
}
