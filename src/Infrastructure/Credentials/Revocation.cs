using Provisioning.Domain.Credentials;
using Provisioning.Infrastructure.Persistence;

namespace Provisioning.Infrastructure.Credentials;

/// <summary>
/// Revocation follows the data. A trigger on <c>api_keys</c> (migration <c>RevocationFollowsData</c>) fires for every
/// key row that goes — a delete by a handler, a foreign-key cascade from an app, a service account or a whole tenant
/// subtree, whatever path is added later — or is disabled, and so does a tenant's status change (suspend, resume: the
/// notice names the tenant, <see cref="TenantPrefix"/>, since every key at or below it changes state; migration
/// <c>TenantScopedRevocation</c>), and, in the changing transaction:
/// <list type="bullet">
/// <item>queues <c>NOTIFY</c> on <see cref="Channel"/>, delivered to every instance's
/// <see cref="CredentialRevocationListener"/> when, and only if, the transaction commits;</item>
/// <item>appends the same entries to the transaction-local setting <see cref="RevokedSetting"/>, which this instance's
/// <see cref="UnitOfWork"/> reads just before committing, so that its own cache drops the keys the moment the commit
/// returns (its listener's copy of the notice may arrive a little later). The note is bounded: past 8,000 characters
/// (hundreds of keys in one transaction) it is <see cref="Everything"/>, and this instance drops its whole cache (SQL
/// function <c>note_revoked</c>, migration <c>BoundedRevocationNote</c>: a list rewritten for every row made a deletion
/// of n keys cost n²).</item>
/// </list>
/// No handler has to remember anything. Both copies are applied by <see cref="CachedCredentialStore.Revoke"/>.
/// </summary>
public static class Revocation
{
    public const string Channel = "provisioning_credentials_revoked";
    public const string RevokedSetting = "provisioning.revoked_keys";

    /// <summary>
    /// A notice entry naming a tenant (<c>t:&lt;tenant id&gt;</c>): it was suspended or resumed, so every cached key at
    /// or below it changed state. Any other entry is a key id (key ids never contain a colon).
    /// </summary>
    public const string TenantPrefix = "t:";

    /// <summary>
    /// "Every cached credential may have changed". The tenants' trigger sends it beside its tenant entry for instances of
    /// builds before <c>TenantScopedRevocation</c> (a rolling upgrade), which know no tenant entries and drop their whole
    /// cache on it; an instance that reads the tenant entry ignores it. Alone, it still means everything: so the transaction
    /// setting says past its bound (<c>note_revoked</c>).
    /// </summary>
    public const string Everything = "*";

    /// <summary>What one notice (or this transaction's setting) revokes.</summary>
    public static RevocationNotice Parse(string? payload)
    {
        if (string.IsNullOrEmpty(payload))
        {
            return RevocationNotice.None;
        }

        var keys = new List<KeyId>();
        var tenants = new List<string>();
        var everything = false;
        foreach (var entry in payload.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            if (entry == Everything)
            {
                everything = true;
            }
            else if (entry.StartsWith(TenantPrefix, StringComparison.Ordinal))
            {
                tenants.Add(entry[TenantPrefix.Length..]);
            }
            else
            {
                keys.Add(new KeyId(entry));
            }
        }

        return new RevocationNotice(everything && tenants.Count == 0, [.. keys.Distinct()], [.. tenants.Distinct(StringComparer.Ordinal)]);
    }
}
