using Mediator;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Security;

namespace Provisioning.Application.ProvisioningKeys.Queries.GetProvisioningKey;

public sealed record GetProvisioningKeyQuery(string KeyId) : IQuery<ProvisioningKeyDto>;

public sealed class GetProvisioningKeyQueryHandler(IProvisioningDbContext db, ICallerContext callerContext)
    : IQueryHandler<GetProvisioningKeyQuery, ProvisioningKeyDto>
{
    public async ValueTask<ProvisioningKeyDto> Handle(GetProvisioningKeyQuery query, CancellationToken cancellationToken) =>
        (await db.GetProvisioningKeyAsync(callerContext.Caller, query.KeyId, cancellationToken)).ToDto(secret: null);
}
