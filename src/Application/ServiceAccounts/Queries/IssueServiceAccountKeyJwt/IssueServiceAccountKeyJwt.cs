using Mediator;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Security;
using Provisioning.Application.Keys;
using Provisioning.Domain.Credentials;

namespace Provisioning.Application.ServiceAccounts.Queries.IssueServiceAccountKeyJwt;

/// <summary>Issues a JWT signed with a service-account key (scope <c>account</c>).</summary>
public sealed record IssueServiceAccountKeyJwtQuery(string ServiceAccountId, string KeyId) : IQuery<JwtDto>;

public sealed class IssueServiceAccountKeyJwtQueryHandler(
    IProvisioningDbContext db, ICallerContext callerContext, ISecretProtector protector, ITokenIssuer tokens, TimeProvider clock)
    : IQueryHandler<IssueServiceAccountKeyJwtQuery, JwtDto>
{
    public async ValueTask<JwtDto> Handle(IssueServiceAccountKeyJwtQuery query, CancellationToken cancellationToken)
    {
        var account = await db.GetServiceAccountAsync(callerContext.Caller, query.ServiceAccountId, cancellationToken);
        var key = await db.ApiKeys.Where(k => k.ServiceAccountId == account.Id).GetKeyAsync(query.KeyId, KeyKind.ServiceAccount, cancellationToken);
        return tokens.IssueFor(key, protector, clock.GetUtcNow());
    }
}
