using Provisioning.Application.Common.Audit;
using Provisioning.Domain.Audit;
using Mediator;
using Provisioning.Application.Apps;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Security;
using Provisioning.Application.Keys;
using Provisioning.Domain.Credentials;

namespace Provisioning.Application.AppKeys.Commands.DeleteAppKey;

/// <summary>Deletes an app key; its credentials stop working on the next request.</summary>
[AllowedCallers(CallerKinds.AccountOrServiceAccount)]
public sealed record DeleteAppKeyCommand(string AppId, string KeyId) : ICommand<Unit>, IAuditedCommand
{
    public AuditEventType EventType => AuditEventType.AppKeyDeleted;
}

public sealed class DeleteAppKeyCommandHandler(
    IAuditTrail audit, IProvisioningDbContext db, ICallerContext callerContext)
    : ICommandHandler<DeleteAppKeyCommand, Unit>
{
    public async ValueTask<Unit> Handle(DeleteAppKeyCommand command, CancellationToken cancellationToken)
    {
        var app = await db.GetVisibleAppForChangeAsync(callerContext.Caller, command.AppId, cancellationToken);
        var key = await db.ApiKeys.Where(k => k.AppId == app.Id).GetKeyAsync(command.KeyId, KeyKind.App, cancellationToken);
        audit.Record(AuditResources.Key(key), related: AuditResource.App(app.Id));
        db.ApiKeys.Remove(key);
        await db.SaveChangesAsync(cancellationToken);
        return Unit.Value;
    }
}
