using Mediator;
using Provisioning.Application.Apps;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Security;
using Provisioning.Application.Keys;
using Provisioning.Domain.Credentials;

namespace Provisioning.Application.AppKeys.Queries.GetAppKey;

[AllowedCallers(CallerKinds.AccountOrServiceAccount)]
public sealed record GetAppKeyQuery(string AppId, string KeyId) : IQuery<AppKeyDto>;

public sealed class GetAppKeyQueryHandler(IProvisioningDbContext db, ICallerContext callerContext, ISecretProtector protector)
    : IQueryHandler<GetAppKeyQuery, AppKeyDto>
{
    public async ValueTask<AppKeyDto> Handle(GetAppKeyQuery query, CancellationToken cancellationToken)
    {
        var app = await db.GetVisibleAppAsync(callerContext.Caller, query.AppId, cancellationToken);
        var key = await db.ApiKeys.Where(k => k.AppId == app.Id).GetKeyAsync(query.KeyId, KeyKind.App, cancellationToken);
        return key.ToAppKeyDto(protector.SecretOf(key));
    }
}
