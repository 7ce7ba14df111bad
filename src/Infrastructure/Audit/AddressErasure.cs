using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Provisioning.Application.Common.Audit;
using Provisioning.Domain.Audit;
using Provisioning.Domain.Tenants;
using Provisioning.Infrastructure.Persistence;

namespace Provisioning.Infrastructure.Audit;

/// <summary>
/// The operator's <c>erase-address --email …</c>, for a person who asks to be forgotten: their address, once no tenant's
/// user, is replaced in the audit trail (the events of <c>tenantUser</c> resources, which name a user by address) by one
/// pseudonym for all its events (<c>erased_</c> and 16 random hex digits: the history stays one resource's, nobody's), and
/// the stored answers whose <c>Location</c> names it (an added user's) are deleted. Nothing else holds it: the events of
/// other resources name fields, not values; a stored answer's body is encrypted, and a tenant's view with its users in one
/// goes with <c>Provisioning:Idempotency:RetentionHours</c> (docs/operations.md "Personal data"). One transaction, with a
/// <c>tenantUser.erased</c> event in each tenant whose events it changed, said at Warning (without the address).
/// </summary>
public sealed class AddressErasure(ProvisioningDbContext db, ILogger<AddressErasure> logger)
{
    /// <summary>What a pseudonym starts with.</summary>
    public const string Pseudonymous = "erased_";

    /// <summary>Erases <paramref name="email"/> (in any case, spaces around it ignored, as the API stores it).</summary>
    /// <exception cref="AddressStillInUseException">The address is a user of a tenant (before or while it was erased: nothing is).</exception>
    public async Task<ErasedAddress> EraseAsync(string email, CancellationToken cancellationToken)
    {
        var address = TenantUser.Canonical(email);
        if (address.Length == 0)
        {
            throw new ArgumentException("The address is empty.", nameof(email));
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await RefuseWhileAUserAsync(address, cancellationToken);
        // First the stored answers, by a scan no index serves: the events' rows are locked, and the new event (which holds
        // back the newest events from readers until it commits) written, only for the short rest of the transaction.
        // An added user's Location ends with its address as CreatedResults escapes it (ASCII: right() counts as .NET does),
        // under the path the client sent, in whatever case routing took it.
        var location = "/users/" + Uri.EscapeDataString(address);
        var answers = await db.Database.ExecuteSqlAsync(
            $"DELETE FROM idempotency_records WHERE lower(right(location, {location.Length})) = lower({location})", cancellationToken);

        var pseudonym = Pseudonymous + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
        var events = await db.Database.ExecuteSqlAsync(
            $"UPDATE audit_events SET resource_id = {pseudonym} WHERE resource_type = {AuditResources.TenantUserType} AND resource_id = {address}",
            cancellationToken);

        // The trail says it was changed: an event of the operator's in each tenant whose events were (its viewers, as any
        // event's, by the table's trigger), naming the pseudonym.
        var erasedType = AuditEventTypes.WireName(AuditEventType.TenantUserErased);
        var tenants = await db.Database.ExecuteSqlAsync(
            $"""
            INSERT INTO audit_events (tenant_id, type, actor_kind, resource_type, resource_id, related_type, related_id, created_at, changes)
            SELECT DISTINCT tenant_id, {erasedType}, {AuditActor.OperatorKind}, {AuditResources.TenantUserType}, {pseudonym}, {AuditResource.TenantType}, tenant_id, now(), ARRAY[]::text[]
            FROM audit_events WHERE resource_type = {AuditResources.TenantUserType} AND resource_id = {pseudonym}
            """, cancellationToken);

        // Seen by whoever saw the events it changed: a deleted tenant's ancestors too (the trigger gives the event of a tenant
        // no longer there to that tenant alone).
        await db.Database.ExecuteSqlAsync(
            $"""
            INSERT INTO audit_event_viewers (viewer_tenant_id, event_id, type)
            SELECT DISTINCT v.viewer_tenant_id, erased.id, erased.type
            FROM audit_events erased
            JOIN audit_events renamed ON renamed.resource_type = {AuditResources.TenantUserType} AND renamed.resource_id = {pseudonym}
                                     AND renamed.tenant_id = erased.tenant_id AND renamed.type <> {erasedType}
            JOIN audit_event_viewers v ON v.event_id = renamed.id
            WHERE erased.resource_type = {AuditResources.TenantUserType} AND erased.resource_id = {pseudonym} AND erased.type = {erasedType}
            ON CONFLICT DO NOTHING
            """, cancellationToken);

        // Again after the writes: a user added meanwhile (its event perhaps renamed), or added and removed again (its events
        // committed after the renaming began, still naming it), rolls it all back.
        await RefuseWhileAUserAsync(address, cancellationToken);
        if (await db.Database.SqlQuery<bool>(
                $"SELECT EXISTS (SELECT 1 FROM audit_events WHERE resource_type = {AuditResources.TenantUserType} AND resource_id = {address}) AS \"Value\"")
            .SingleAsync(cancellationToken))
        {
            throw new AddressStillInUseException(
                "The address's events changed while it was being erased (a user added or removed meanwhile): nothing was erased; run it again.");
        }

        await transaction.CommitAsync(cancellationToken);
        if (events > 0)
        {
            logger.LogWarning(
                "An address was erased: {Events} event(s) now name {Pseudonym}, and a {EventType} event says so in {Tenants} tenant(s); {StoredAnswers} stored answer(s) deleted",
                events, pseudonym, erasedType, tenants, answers);
        }
        else if (answers > 0)
        {
            logger.LogWarning("An address was erased: no event named it; {StoredAnswers} stored answer(s) deleted", answers);
        }
        else
        {
            logger.LogInformation("An address to erase was named by no event and no stored answer: nothing was erased");
        }

        return new ErasedAddress(events > 0 ? pseudonym : null, events, tenants, answers);
    }

    private async Task RefuseWhileAUserAsync(string address, CancellationToken cancellationToken)
    {
        var tenants = await db.Database.SqlQuery<string>(
            $"SELECT tenant_id AS \"Value\" FROM tenant_users WHERE email = {address} ORDER BY tenant_id LIMIT 6").ToListAsync(cancellationToken);
        if (tenants.Count > 0)
        {
            throw new AddressStillInUseException(AddressStillInUseException.UserOf(string.Join(", ", tenants.Take(5)) + (tenants.Count > 5 ? " and more" : "")));
        }
    }
}
