using Mediator;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Security;

namespace Provisioning.Application.Apps.Queries.GetApp;

[AllowedCallers(CallerKinds.All)]
public sealed record GetAppQuery(string AppId) : IQuery<AppDto>;

public sealed class GetAppQueryHandler(IProvisioningDbContext db, ICallerContext callerContext) : IQueryHandler<GetAppQuery, AppDto>
{
    public async ValueTask<AppDto> Handle(GetAppQuery query, CancellationToken cancellationToken) =>
        (await db.GetVisibleAppAsync(callerContext.Caller, query.AppId, cancellationToken, tracked: false)).ToDto();
}
