using Provisioning.Application.Common.Audit;
using Provisioning.Domain.Audit;
using Mediator;
using Microsoft.EntityFrameworkCore;
using Provisioning.Application.Apps;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Security;

namespace Provisioning.Application.ServiceAccounts.Commands.RevokeAppAccess;

/// <summary>Revokes a service account's access to an app (404 when it had none). The app stays.</summary>
public sealed record RevokeAppAccessCommand(string ServiceAccountId, string AppId) : ICommand<Unit>, IAuditedCommand
{
    public AuditEventType EventType => AuditEventType.AppAccessRevoked;
}

public sealed class RevokeAppAccessCommandHandler(IAuditTrail audit, IProvisioningDbContext db, ICallerContext callerContext)
    : ICommandHandler<RevokeAppAccessCommand, Unit>
{
    public async ValueTask<Unit> Handle(RevokeAppAccessCommand command, CancellationToken cancellationToken)
    {
        var caller = callerContext.Caller;
        var account = await db.GetServiceAccountAsync(caller, command.ServiceAccountId, cancellationToken);
        var app = await db.GetVisibleAppAsync(caller, command.AppId, cancellationToken);
        var removed = await db.AppGrants.Where(g => g.ServiceAccountId == account.Id && g.AppId == app.Id).ExecuteDeleteAsync(cancellationToken);
        if (removed == 0)
        {
            throw Common.Exceptions.NotFoundException.Grant();
        }

        audit.Record(AuditResource.ServiceAccount(account.Id), ["apps"], AuditResource.App(app.Id));
        await db.SaveChangesAsync(cancellationToken);
        return Unit.Value;
    }
}
