using Mediator;
using Provisioning.Application.Apps;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Security;
using Provisioning.Application.Keys;
using Provisioning.Domain.Credentials;

namespace Provisioning.Application.AppKeys.Queries.IssueAppKeyJwt;

/// <summary>Issues a JWT signed with an app key (scope <c>app</c>).</summary>
[AllowedCallers(CallerKinds.AccountOrServiceAccount)]
public sealed record IssueAppKeyJwtQuery(string AppId, string KeyId) : IQuery<JwtDto>;

public sealed class IssueAppKeyJwtQueryHandler(
    IProvisioningDbContext db, ICallerContext callerContext, ISecretProtector protector, ITokenIssuer tokens, TimeProvider clock)
    : IQueryHandler<IssueAppKeyJwtQuery, JwtDto>
{
    public async ValueTask<JwtDto> Handle(IssueAppKeyJwtQuery query, CancellationToken cancellationToken)
    {
        var app = await db.GetVisibleAppAsync(callerContext.Caller, query.AppId, cancellationToken);
        var key = await db.ApiKeys.Where(k => k.AppId == app.Id).GetKeyAsync(query.KeyId, KeyKind.App, cancellationToken);
        return tokens.IssueFor(key, protector, clock.GetUtcNow());
    }
}
