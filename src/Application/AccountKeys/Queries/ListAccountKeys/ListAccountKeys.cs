using Mediator;
using Microsoft.EntityFrameworkCore;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Security;
using Provisioning.Application.Keys;
using Provisioning.Domain.Credentials;

namespace Provisioning.Application.AccountKeys.Queries.ListAccountKeys;

/// <summary>The tenant's account keys, oldest first, without secrets.</summary>
public sealed record ListAccountKeysQuery : IQuery<IReadOnlyList<KeyDto>>;

public sealed class ListAccountKeysQueryHandler(IProvisioningDbContext db, ICallerContext callerContext)
    : IQueryHandler<ListAccountKeysQuery, IReadOnlyList<KeyDto>>
{
    public async ValueTask<IReadOnlyList<KeyDto>> Handle(ListAccountKeysQuery query, CancellationToken cancellationToken)
    {
        var tenant = callerContext.Caller.TenantId;
        var keys = await db.ApiKeys.AsNoTracking().Where(k => k.TenantId == tenant && k.Kind == KeyKind.Account)
            .OrderBy(k => k.Id).ToListAsync(cancellationToken);
        return [.. keys.Select(k => k.ToDto(secret: null))];
    }
}
