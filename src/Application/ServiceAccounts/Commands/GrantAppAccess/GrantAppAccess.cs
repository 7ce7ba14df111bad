using Provisioning.Application.Common.Audit;
using Provisioning.Domain.Audit;
using Mediator;
using Microsoft.EntityFrameworkCore;
using Provisioning.Application.Apps;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Security;
using Provisioning.Domain.ServiceAccounts;

namespace Provisioning.Application.ServiceAccounts.Commands.GrantAppAccess;

/// <summary>Grants a service account access to an existing app of the tenant. Granting twice is fine.</summary>
public sealed record GrantAppAccessCommand(string ServiceAccountId, string AppId) : ICommand<Unit>, IAuditedCommand
{
    public AuditEventType EventType => AuditEventType.AppAccessGranted;
}

public sealed class GrantAppAccessCommandHandler(IAuditTrail audit, IProvisioningDbContext db, ICallerContext callerContext, TimeProvider clock)
    : ICommandHandler<GrantAppAccessCommand, Unit>
{
    public async ValueTask<Unit> Handle(GrantAppAccessCommand command, CancellationToken cancellationToken)
    {
        var caller = callerContext.Caller;
        var account = await db.GetServiceAccountAsync(caller, command.ServiceAccountId, cancellationToken);
        var app = await db.GetVisibleAppAsync(caller, command.AppId, cancellationToken);
        // Parallel grants of one app wait for each other here, so the later ones find the grant (200) instead of racing
        // for its key (409).
        await db.LockForUpdateAsync(account, cancellationToken, reload: false);
        if (!await db.AppGrants.AnyAsync(g => g.ServiceAccountId == account.Id && g.AppId == app.Id, cancellationToken))
        {
            audit.Record(AuditResource.ServiceAccount(account.Id), ["apps"], AuditResource.App(app.Id));
            db.AppGrants.Add(AppGrant.Create(account.Id, app.Id, clock.GetUtcNow()));
            await db.SaveChangesAsync(cancellationToken);
        }

        else
        {
            audit.NothingChanged(); // Already granted: the same answer, no event.
        }

        return Unit.Value;
    }
}
