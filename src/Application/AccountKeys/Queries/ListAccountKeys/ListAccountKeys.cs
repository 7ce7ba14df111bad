using Mediator;
using Microsoft.EntityFrameworkCore;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Paging;
using Provisioning.Application.Common.Security;
using Provisioning.Application.Keys;
using Provisioning.Domain.Credentials;

namespace Provisioning.Application.AccountKeys.Queries.ListAccountKeys;

/// <summary>The tenant's account keys, oldest first, by cursor, without secrets.</summary>
public sealed record ListAccountKeysQuery(PageRequest Page) : IQuery<Page<KeyDto>>;

public sealed class ListAccountKeysQueryHandler(IProvisioningDbContext db, ICallerContext callerContext)
    : IQueryHandler<ListAccountKeysQuery, Page<KeyDto>>
{
    public async ValueTask<Page<KeyDto>> Handle(ListAccountKeysQuery query, CancellationToken cancellationToken)
    {
        var keys = db.VisibleAccountKeys(callerContext.Caller).AsNoTracking();
        var page = await keys.ToPageAsync(k => k.Id, v => new KeyId(v), v => v.Value, query.Page, cancellationToken);
        return page.Map(k => k.ToDto(secret: null));
    }
}
