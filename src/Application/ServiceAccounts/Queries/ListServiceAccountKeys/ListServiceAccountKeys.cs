using Mediator;
using Microsoft.EntityFrameworkCore;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Security;
using Provisioning.Application.Keys;

namespace Provisioning.Application.ServiceAccounts.Queries.ListServiceAccountKeys;

/// <summary>A service account's keys, oldest first, with their secrets (as Sunshine Conversations shows them).</summary>
public sealed record ListServiceAccountKeysQuery(string ServiceAccountId) : IQuery<IReadOnlyList<KeyDto>>;

public sealed class ListServiceAccountKeysQueryHandler(IProvisioningDbContext db, ICallerContext callerContext, ISecretProtector protector)
    : IQueryHandler<ListServiceAccountKeysQuery, IReadOnlyList<KeyDto>>
{
    public async ValueTask<IReadOnlyList<KeyDto>> Handle(ListServiceAccountKeysQuery query, CancellationToken cancellationToken)
    {
        var account = await db.GetServiceAccountAsync(callerContext.Caller, query.ServiceAccountId, cancellationToken);
        var keys = await db.ApiKeys.AsNoTracking().Where(k => k.ServiceAccountId == account.Id).OrderBy(k => k.Id).ToListAsync(cancellationToken);
        return [.. keys.Select(k => k.ToDto(protector.SecretOf(k)))];
    }
}
