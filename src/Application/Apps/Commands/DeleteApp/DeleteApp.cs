using Provisioning.Application.Common.Audit;
using Provisioning.Domain.Audit;
using Mediator;
using Microsoft.EntityFrameworkCore;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Security;
using Provisioning.Application.Keys;

namespace Provisioning.Application.Apps.Commands.DeleteApp;

/// <summary>Deletes an app with its keys and grants; the app's keys stop working at once.</summary>
[AllowedCallers(CallerKinds.AccountOrServiceAccount)]
public sealed record DeleteAppCommand(string AppId) : ICommand<Unit>, IAuditedCommand
{
    public AuditEventType EventType => AuditEventType.AppDeleted;
}

public sealed class DeleteAppCommandHandler(
    IAuditTrail audit, IProvisioningDbContext db, ICallerContext callerContext, ITenantBudgets budgets, ICascadeLocks cascade)
    : ICommandHandler<DeleteAppCommand, Unit>
{
    public async ValueTask<Unit> Handle(DeleteAppCommand command, CancellationToken cancellationToken)
    {
        // Other deletions of it, of its tenant or of an ancestor first; then the grants, as a service account's change of the
        // app takes its grant before anything else (see ICascadeLocks): every grant in key order, a service-account caller's
        // own among them, and only then the caller's own checked under its lock (a revoke committed meanwhile: 404).
        var app = await db.GetVisibleAppAsync(callerContext.Caller, command.AppId, cancellationToken);
        await cascade.WaitForDeletionsAsync(app.TenantId, app.Id.Value, cancellationToken);
        await cascade.LockGrantsOfAppAsync(app.Id, cancellationToken);
        app = await db.GetVisibleAppForChangeAsync(callerContext.Caller, command.AppId, cancellationToken);

        // Then the budgets: they lock the tenant rows of the path (root first), which a key being made for this app holds
        // (the tenant lock of its key count) before it references the app. Deleting the app first and asking for those rows
        // after made the two wait for each other (40P01, a probe: 27 of 900 requests).
        await budgets.ReleaseAppAsync(app.TenantId, cancellationToken);

        // Its keys and grants go with it (ON DELETE CASCADE); the keys' revocation follows from their rows going.
        audit.Record(AuditResource.App(app.Id));
        db.Apps.Remove(app);
        await db.SaveChangesAsync(cancellationToken);
        return Unit.Value;
    }
}
