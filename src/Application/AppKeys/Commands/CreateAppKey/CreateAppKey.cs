using Provisioning.Application.Common.Audit;
using Provisioning.Domain.Audit;
using Mediator;
using Microsoft.EntityFrameworkCore;
using Provisioning.Application.Apps;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Security;
using Provisioning.Application.Keys;
using Provisioning.Domain.Credentials;

namespace Provisioning.Application.AppKeys.Commands.CreateAppKey;

/// <summary>Creates an <c>app_</c> key for an app the caller can reach; at most 10 per app.</summary>
[AllowedCallers(CallerKinds.AccountOrServiceAccount)]
public sealed record CreateAppKeyCommand(string AppId, string? DisplayName, DateTimeOffset? ExpiresAt = null) : ICommand<AppKeyDto>, IAuditedCommand
{
    public AuditEventType EventType => AuditEventType.AppKeyCreated;
}

public sealed class CreateAppKeyCommandHandler(
    IAuditTrail audit, IProvisioningDbContext db, ICallerContext callerContext, KeyIssuer keys)
    : ICommandHandler<CreateAppKeyCommand, AppKeyDto>
{
    public async ValueTask<AppKeyDto> Handle(CreateAppKeyCommand command, CancellationToken cancellationToken)
    {
        var caller = callerContext.Caller;
        var app = await db.GetVisibleAppForChangeAsync(caller, command.AppId, cancellationToken);

        var (key, secret) = await keys.IssueAsync(new KeyOwner.App(app.TenantId, app.Id), command.DisplayName, cancellationToken, command.ExpiresAt);
        audit.Record(AuditResources.Key(key), AuditChanges.Of(("displayName", true), ("expiresAt", command.ExpiresAt is not null)), AuditResource.App(app.Id));
        await db.SaveChangesAsync(cancellationToken);
        return key.ToAppKeyDto(secret);
    }
}
