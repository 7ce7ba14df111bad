using Provisioning.Application.Common.Audit;
using Provisioning.Domain.Audit;
using System.Text.Json;
using Mediator;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Optional;
using Provisioning.Application.Common.Security;
using Provisioning.Domain.Apps;

namespace Provisioning.Application.Apps.Commands.UpdateApp;

/// <summary>
/// Changes an app: <c>displayName</c> replaced, <c>settings</c> merged field by field, <c>metadata</c>
/// merged key by key (a null key is removed; a null object clears it). An absent <see cref="Metadata"/> leaves it alone.
/// </summary>
[AllowedCallers(CallerKinds.All)]
public sealed record UpdateAppCommand(string AppId, string? DisplayName, AppSettingsChange? Settings, Optional<JsonElement> Metadata) : ICommand<AppDto>, IAuditedCommand
{
    public AuditEventType EventType => AuditEventType.AppUpdated;
}

public sealed class UpdateAppCommandHandler(IAuditTrail audit, IProvisioningDbContext db, ICallerContext callerContext)
    : ICommandHandler<UpdateAppCommand, AppDto>
{
    public async ValueTask<AppDto> Handle(UpdateAppCommand command, CancellationToken cancellationToken)
    {
        var app = await db.GetVisibleAppForChangeAsync(callerContext.Caller, command.AppId, cancellationToken);
        // Settings and metadata merge into what is there, and every field is compared with what is there (identical
        // changes sent in parallel write one event): all from the row as it is once this request holds it.
        await db.LockForUpdateAsync(app, cancellationToken);

        // An event names the fields whose value changed; a request that sets every field as it is writes none.
        var renamed = command.DisplayName is not null && app.Rename(command.DisplayName);
        var settingsChanged = command.Settings is not null && app.ChangeSettings(command.Settings);
        var metadataChanged = command.Metadata.IsSet && app.MergeMetadata(command.Metadata.Value);
        audit.RecordIfChanged(AuditResource.App(app.Id), AuditChanges.Of(("displayName", renamed), ("settings", settingsChanged), ("metadata", metadataChanged)));
        await db.SaveChangesAsync(cancellationToken);
        return app.ToDto();
    }
}
