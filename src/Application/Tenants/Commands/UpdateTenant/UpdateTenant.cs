using Provisioning.Application.Common.Audit;
using Provisioning.Domain.Audit;
using Mediator;
using Microsoft.EntityFrameworkCore;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Exceptions;
using Provisioning.Application.Common.Optional;
using Provisioning.Application.Common.Security;

namespace Provisioning.Application.Tenants.Commands.UpdateTenant;

/// <summary>
/// Changes a tenant. Name, logo and settings may be changed by the tenant itself or an ancestor;
/// contacts, maxApps and maxTenants (its limits) only by an ancestor (403 otherwise), and never beyond what the
/// ancestor's own tenant has (400; the root excepted).
/// </summary>
public sealed record UpdateTenantCommand(
    string TenantId,
    string? Name,
    Optional<string?> LogoUrl,
    int? Contacts,
    IReadOnlyDictionary<string, Dictionary<string, string?>?>? Settings,
    Optional<int?> MaxApps,
    Optional<int?> MaxTenants = default,
    string? Status = null) : ICommand<TenantDto>, IAuditedCommand
{
    public AuditEventType EventType => AuditEventType.TenantUpdated;

    /// <summary>A PATCH that changes the status is a suspension or a resumption, whatever else it set; one that sends the status the tenant already has is an update.</summary>
    public AuditEventType EventTypeFor(IReadOnlyCollection<string> changes) =>
        !changes.Contains(StatusField) ? AuditEventType.TenantUpdated
        : Domain.Tenants.TenantStatus.Parse(Status!) == Domain.Tenants.TenantStatus.Suspended ? AuditEventType.TenantSuspended
        : AuditEventType.TenantResumed;

    internal const string StatusField = "status";

    /// <summary>Printed with the logo's user name and password left out (<see cref="Domain.Common.Text.PrintableUrl"/>), as its request is.</summary>
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        var logo = LogoUrl.IsSet ? Domain.Common.Text.PrintableUrl(LogoUrl.Value) : "(not set)";
        builder.Append($"TenantId = {TenantId}, Name = {Name}, LogoUrl = {logo}, Contacts = {Contacts}, Settings = {Settings}, ")
            .Append($"MaxApps = {MaxApps}, MaxTenants = {MaxTenants}, Status = {Status}");
        return true;
    }
}

public sealed class UpdateTenantCommandHandler(IAuditTrail audit, IProvisioningDbContext db, ICallerContext callerContext, ITenantBudgets budgets, ITenantViewReads views)
    : ICommandHandler<UpdateTenantCommand, TenantDto>
{
    public async ValueTask<TenantDto> Handle(UpdateTenantCommand command, CancellationToken cancellationToken)
    {
        var caller = callerContext.Caller;

        // Visibility first: an ancestor's id is 404 as if it did not exist, whatever the body asks (API.md §2).
        var tenant = await db.GetVisibleTenantAsync(caller, command.TenantId, cancellationToken);

        // A tenant's own limits sent back as they are (its GET sent back) are no change of them: passed over, never
        // applied (a limit an ancestor changes meanwhile is not put back by them).
        var grants = caller.IsStrictAncestorOf(tenant);
        var changesLimits = (command.Contacts is { } sentContacts && sentContacts != tenant.Contacts)
                            || (command.MaxApps.IsSet && command.MaxApps.Value != tenant.MaxApps)
                            || (command.MaxTenants.IsSet && command.MaxTenants.Value != tenant.MaxTenants);
        if (changesLimits && !grants)
        {
            throw new ForbiddenException("A tenant cannot change its own limits (contacts, maxApps, maxTenants); an ancestor can.");
        }

        var changesBudgets = grants && (command.MaxApps.IsSet || command.MaxTenants.IsSet);
        var setsLimits = grants && (command.Contacts is not null || changesBudgets);
        // A create checks the subtree's status once it holds the budgets' lock of each tenant on its path shared: with this
        // tenant's held whole here, no create in flight in the subtree can commit after the suspension (one that had passed the check waited for a budget row this request locks, then
        // committed on top of it) and the next ones see it. Whenever "suspended" is sent: the status read above is not
        // locked yet, and a resumption committed meanwhile would make this request a suspension after all.
        var suspends = grants && command.Status == Domain.Tenants.TenantStatus.Suspended;

        if (changesBudgets || suspends)
        {
            await budgets.HoldCreatesAsync(tenant.Id, cancellationToken); // before any row of this request: see its docs
        }

        // Settings merge into what is there, and every field is compared with what is there (whether the status changes,
        // whether a name is new: identical changes sent in parallel write one event): all from the row as it is once this
        // request holds it (before anything is changed here: the reload would undo it).
        await db.LockForUpdateAsync(tenant, cancellationToken);

        var statusChanges = false;
        if (command.Status is not null)
        {
            // Who may, before what: a tenant sending itself any status is 403, a known one or not.
            if (!grants)
            {
                throw new ForbiddenException("Only an ancestor may suspend or resume a tenant; a tenant cannot suspend or resume itself.");
            }

            // The caller's own tenant, not the one it acts in: a suspension is its decision (On-Behalf-Of or not).
            statusChanges = tenant.ChangeStatus(command.Status, caller.HomeTenantId);
        }

        // Limits are granted by the caller's own tenant, which cannot grant more than it has.
        var grantor = setsLimits
            ? await db.GetCallersTenantAsync(caller.HomeTenantId, cancellationToken)
            : null;

        // An event names the fields whose value changed; a request that sets every field as it is writes none.
        var renamed = command.Name is not null && tenant.Rename(command.Name);
        var logoChanged = command.LogoUrl.IsSet && tenant.ChangeLogo(command.LogoUrl.Value);
        var contactsChanged = grants && command.Contacts is { } contacts && tenant.ChangeContacts(contacts, grantor!);
        var settingsChanged = command.Settings is not null && tenant.ChangeSettings(command.Settings);
        var maxAppsChanged = grants && command.MaxApps.IsSet && tenant.ChangeMaxApps(command.MaxApps.Value, grantor!);
        var maxTenantsChanged = grants && command.MaxTenants.IsSet && tenant.ChangeMaxTenants(command.MaxTenants.Value, grantor!);

        // The event belongs to the tenant it is about (its ancestors see it too), whoever changed it.
        audit.RecordIfChanged(AuditResource.Tenant(tenant.Id), tenantId: tenant.Id, changes: AuditChanges.Of(("name", renamed), ("logoUrl", logoChanged), ("contacts", contactsChanged), ("settings", settingsChanged), ("maxApps", maxAppsChanged), ("maxTenants", maxTenantsChanged), (UpdateTenantCommand.StatusField, statusChanges)));
        await db.SaveChangesAsync(cancellationToken);
        if (changesBudgets)
        {
            // A budget starts from what the subtree holds now.
            await budgets.RecountAsync(tenant.Id, cancellationToken);
        }

        return await views.ToDtoAsync(tenant, cancellationToken, changedAt: audit.RecordedAt);
    }
}
