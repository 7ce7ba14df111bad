using Mediator;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Security;

namespace Provisioning.Application.ServiceAccounts.Queries.GetServiceAccount;

public sealed record GetServiceAccountQuery(string ServiceAccountId) : IQuery<ServiceAccountDto>;

public sealed class GetServiceAccountQueryHandler(IProvisioningDbContext db, ICallerContext callerContext)
    : IQueryHandler<GetServiceAccountQuery, ServiceAccountDto>
{
    public async ValueTask<ServiceAccountDto> Handle(GetServiceAccountQuery query, CancellationToken cancellationToken) =>
        (await db.GetServiceAccountAsync(callerContext.Caller, query.ServiceAccountId, cancellationToken)).ToDto();
}
