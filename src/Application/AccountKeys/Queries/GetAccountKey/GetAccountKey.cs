using Mediator;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Security;
using Provisioning.Application.Keys;
using Provisioning.Domain.Credentials;

namespace Provisioning.Application.AccountKeys.Queries.GetAccountKey;

/// <summary>One account key of the tenant, without its secret.</summary>
public sealed record GetAccountKeyQuery(string KeyId) : IQuery<KeyDto>;

public sealed class GetAccountKeyQueryHandler(IProvisioningDbContext db, ICallerContext callerContext)
    : IQueryHandler<GetAccountKeyQuery, KeyDto>
{
    public async ValueTask<KeyDto> Handle(GetAccountKeyQuery query, CancellationToken cancellationToken)
    {
        var key = await db.VisibleAccountKeys(callerContext.Caller).GetKeyAsync(query.KeyId, KeyKind.Account, cancellationToken);
        return key.ToDto(secret: null);
    }
}
