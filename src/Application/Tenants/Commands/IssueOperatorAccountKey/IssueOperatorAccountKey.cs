using Provisioning.Application.Common.Audit;
using Provisioning.Domain.Audit;
using Mediator;
using Microsoft.EntityFrameworkCore;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Security;
using Provisioning.Application.Keys;

namespace Provisioning.Application.Tenants.Commands.IssueOperatorAccountKey;

/// <summary>
/// The operator's <c>create-account-key --tenant &lt;id|root&gt;</c> (a lost root key, a locked-out customer): a new account
/// key of that tenant, its secret returned once. The authority is access to the service's host and configuration, not
/// an API credential, so this message is only ever sent by the command-line verb.
/// </summary>
[SystemMessage]
public sealed record IssueOperatorAccountKeyCommand(string Tenant, string? DisplayName) : ICommand<IssuedOperatorKey>, IAuditedCommand
{
    public AuditEventType EventType => AuditEventType.AccountKeyCreated;
}

public sealed class IssueOperatorAccountKeyCommandHandler(IAuditTrail audit, IProvisioningDbContext db, KeyIssuer keys)
    : ICommandHandler<IssueOperatorAccountKeyCommand, IssuedOperatorKey>
{
    public async ValueTask<IssuedOperatorKey> Handle(IssueOperatorAccountKeyCommand command, CancellationToken cancellationToken)
    {
        var tenant = await db.Tenants.NamedByOperatorAsync(command.Tenant, cancellationToken);
        var id = tenant.Id;
        var (key, secret) = await keys.IssueAsync(new KeyOwner.Account(id), command.DisplayName ?? "Operator key", cancellationToken);
        audit.Record(AuditResources.Key(key), ["displayName"], tenantId: id);
        await db.SaveChangesAsync(cancellationToken);
        // Made all the same (for use once it is resumed), but its use answers 403 tenant_suspended until then: say so.
        var suspended = await db.Tenants.AsNoTracking().Where(t => t.Id == id).Select(t => StoreFunctions.TenantOrAncestorSuspended(t.Id)).SingleAsync(cancellationToken);
        return new IssuedOperatorKey(id.Value, key.Id.Value, secret, suspended);
    }
}
