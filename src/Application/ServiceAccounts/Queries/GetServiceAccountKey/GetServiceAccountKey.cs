using Mediator;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Security;
using Provisioning.Application.Keys;
using Provisioning.Domain.Credentials;

namespace Provisioning.Application.ServiceAccounts.Queries.GetServiceAccountKey;

public sealed record GetServiceAccountKeyQuery(string ServiceAccountId, string KeyId) : IQuery<KeyDto>;

public sealed class GetServiceAccountKeyQueryHandler(IProvisioningDbContext db, ICallerContext callerContext, ISecretProtector protector)
    : IQueryHandler<GetServiceAccountKeyQuery, KeyDto>
{
    public async ValueTask<KeyDto> Handle(GetServiceAccountKeyQuery query, CancellationToken cancellationToken)
    {
        var account = await db.GetServiceAccountAsync(callerContext.Caller, query.ServiceAccountId, cancellationToken);
        var key = await db.ApiKeys.Where(k => k.ServiceAccountId == account.Id).GetKeyAsync(query.KeyId, KeyKind.ServiceAccount, cancellationToken);
        return key.ToDto(protector.SecretOf(key));
    }
}
