using Mediator;
using Microsoft.EntityFrameworkCore;
using Provisioning.Application.Apps;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Security;
using Provisioning.Application.Keys;

namespace Provisioning.Application.AppKeys.Queries.ListAppKeys;

/// <summary>The keys of an app, oldest first, with their secrets (as Sunshine Conversations shows them).</summary>
[AllowedCallers(CallerKinds.AccountOrServiceAccount)]
public sealed record ListAppKeysQuery(string AppId) : IQuery<IReadOnlyList<AppKeyDto>>;

public sealed class ListAppKeysQueryHandler(IProvisioningDbContext db, ICallerContext callerContext, ISecretProtector protector)
    : IQueryHandler<ListAppKeysQuery, IReadOnlyList<AppKeyDto>>
{
    public async ValueTask<IReadOnlyList<AppKeyDto>> Handle(ListAppKeysQuery query, CancellationToken cancellationToken)
    {
        var app = await db.GetVisibleAppAsync(callerContext.Caller, query.AppId, cancellationToken);
        var keys = await db.ApiKeys.AsNoTracking().Where(k => k.AppId == app.Id).OrderBy(k => k.Id).ToListAsync(cancellationToken);
        return [.. keys.Select(k => k.ToAppKeyDto(protector.SecretOf(k)))];
    }
}
