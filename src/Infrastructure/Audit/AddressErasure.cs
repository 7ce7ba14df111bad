using Microsoft.EntityFrameworkCore;
using Provisioning.Domain.Tenants;
using Provisioning.Infrastructure.Persistence;

namespace Provisioning.Infrastructure.Audit;

/// <summary>
/// The operator's <c>erase-address --email …</c>, for a person who asks to be forgotten: their address, once no tenant's
/// user, is replaced in the audit trail (the events of <c>tenantUser</c> resources, which name a user by address) by one
/// pseudonym for all its events (<c>erased_</c> and 16 random hex digits: the history stays one resource's, nobody's), and
/// the stored answers whose <c>Location</c> names it (an added user's) are deleted. Nothing else holds it: the events of
/// other resources name fields, not values; a stored answer's body is encrypted, and a tenant's view with its users in one
/// goes with <c>Provisioning:Idempotency:RetentionHours</c> (docs/operations.md "Personal data"). One transaction.
/// </summary>
public sealed class AddressErasure(ProvisioningDbContext db)
{
    /// <summary>What a pseudonym starts with.</summary>
    public const string Pseudonymous = "erased_";

    /// <summary>Erases <paramref name="email"/> (in any case, spaces around it ignored, as the API stores it).</summary>
    /// <exception cref="AddressStillInUseException">The address is still a user of a tenant.</exception>
    public async Task<ErasedAddress> EraseAsync(string email, CancellationToken cancellationToken)
    {
        var address = TenantUser.Canonical(email);
        if (address.Length == 0)
        {
            throw new ArgumentException("The address is empty.", nameof(email));
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var tenants = await db.Database.SqlQuery<string>(
            $"SELECT tenant_id AS \"Value\" FROM tenant_users WHERE email = {address} ORDER BY tenant_id LIMIT 6").ToListAsync(cancellationToken);
        if (tenants.Count > 0)
        {
            throw new AddressStillInUseException(string.Join(", ", tenants.Take(5)) + (tenants.Count > 5 ? " and more" : ""));
        }

        var pseudonym = Pseudonymous + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
        var events = await db.Database.ExecuteSqlAsync(
            $"UPDATE audit_events SET resource_id = {pseudonym} WHERE resource_type = 'tenantUser' AND resource_id = {address}",
            cancellationToken);

        // A Location is escaped as the route makes it (UrlEncoder: '@' and more), so the user's segment is compared decoded.
        var answers = await db.Database.SqlQuery<StoredLocation>(
            $"SELECT scope AS \"Scope\", key AS \"Key\", location AS \"Location\" FROM idempotency_records WHERE location LIKE '%/users/%'")
            .ToListAsync(cancellationToken);
        var naming = answers.Where(a => NamesUser(a.Location, address)).ToList();
        foreach (var answer in naming)
        {
            await db.Database.ExecuteSqlAsync(
                $"DELETE FROM idempotency_records WHERE scope = {answer.Scope} AND key = {answer.Key}", cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return new ErasedAddress(events > 0 ? pseudonym : null, events, naming.Count);
    }

    private static bool NamesUser(string? location, string address)
    {
        var at = location?.LastIndexOf("/users/", StringComparison.Ordinal) ?? -1;
        return at >= 0 && TenantUser.Canonical(Uri.UnescapeDataString(location![(at + "/users/".Length)..])) == address;
    }

    private sealed record StoredLocation(string Scope, string Key, string? Location);
}
