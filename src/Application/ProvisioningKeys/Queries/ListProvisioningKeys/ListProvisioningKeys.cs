using Mediator;
using Microsoft.EntityFrameworkCore;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Paging;
using Provisioning.Application.Common.Security;
using Provisioning.Domain.Credentials;

namespace Provisioning.Application.ProvisioningKeys.Queries.ListProvisioningKeys;

/// <summary>The tenant's provisioning keys, oldest first, without secrets.</summary>
public sealed record ListProvisioningKeysQuery(PageRequest Page) : IQuery<Page<ProvisioningKeyDto>>;

public sealed class ListProvisioningKeysQueryHandler(IProvisioningDbContext db, ICallerContext callerContext)
    : IQueryHandler<ListProvisioningKeysQuery, Page<ProvisioningKeyDto>>
{
    public async ValueTask<Page<ProvisioningKeyDto>> Handle(ListProvisioningKeysQuery query, CancellationToken cancellationToken)
    {
        var keys = db.VisibleProvisioningKeys(callerContext.Caller).AsNoTracking();
        var page = await keys.ToPageAsync(k => k.Id, v => new KeyId(v), v => v.Value, query.Page, cancellationToken);
        return page.Map(k => k.ToDto(secret: null));
    }
}
