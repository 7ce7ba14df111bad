using Provisioning.Application.Common.Audit;
using Provisioning.Domain.Audit;
using System.Text.Json;
using Mediator;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Security;
using Provisioning.Domain.Apps;

namespace Provisioning.Application.Apps.Commands.CreateApp;

/// <summary>Creates an app in the caller's tenant. A service account is granted access to the apps it creates.</summary>
[AllowedCallers(CallerKinds.AccountOrServiceAccount)]
public sealed record CreateAppCommand(string? DisplayName, AppSettingsChange? Settings = null, JsonElement? Metadata = null) : ICommand<AppDto>, IAuditedCommand
{
    public AuditEventType EventType => AuditEventType.AppCreated;
}

public sealed class CreateAppCommandHandler(
    IAuditTrail audit, IProvisioningDbContext db, ICallerContext callerContext, ITenantBudgets budgets, TimeProvider clock)
    : ICommandHandler<CreateAppCommand, AppDto>
{
    public async ValueTask<AppDto> Handle(CreateAppCommand command, CancellationToken cancellationToken)
    {
        var caller = callerContext.Caller;

        // Counts against the app budgets of the tenant and its ancestors (402 when one is used up); no lock without a budget.
        await budgets.ReserveAppAsync(caller.TenantId, cancellationToken);

        var now = clock.GetUtcNow();
        var app = App.Create(caller.TenantId, command.DisplayName, command.Settings, command.Metadata, now);
        db.Apps.Add(app);
        var grant = app.GrantToCreator(caller.ServiceAccountId, now);
        if (grant is not null)
        {
            db.AppGrants.Add(grant);
        }

        // One event: a service account's access to the app it made is in it, as its related resource (so that the account's
        // trail shows the access it gained, before any revocation of it). A field given null or empty is no value given.
        audit.Record(AuditResource.App(app.Id),
            AuditChanges.Of(("displayName", true), ("settings", command.Settings is { } settings && settings != new AppSettingsChange()),
                ("metadata", command.Metadata is { ValueKind: JsonValueKind.Object } metadata && metadata.EnumerateObject().Any())),
            related: grant is not null ? AuditResource.ServiceAccount(grant.ServiceAccountId) : null);
        await db.SaveChangesAsync(cancellationToken);
        return app.ToDto();
    }
}
