using Microsoft.EntityFrameworkCore;
using Provisioning.Domain.Credentials;
using Provisioning.Infrastructure.Persistence;

namespace Provisioning.Infrastructure.Credentials;

/// <summary>
/// Revocation follows the data. A trigger on <c>api_keys</c> (migration <c>RevocationFollowsData</c>) fires for every
/// key row that goes — a delete by a handler, a foreign-key cascade from an app, a service account or a whole tenant
/// subtree, whatever path is added later — or is disabled, and so does a tenant's status change (suspend, resume: the
/// notice is <see cref="Everything"/>, since every key below it changes state), and, in the changing transaction:
/// <list type="bullet">
/// <item>queues <c>NOTIFY</c> on <see cref="Channel"/>, delivered to every instance's
/// <see cref="CredentialRevocationListener"/> when, and only if, the transaction commits;</item>
/// <item>appends the key id to the transaction-local setting <see cref="RevokedSetting"/>, which this instance's
/// <see cref="UnitOfWork"/> reads just before committing, so that its own cache drops the keys the moment the commit
/// returns (its listener's copy of the notice may arrive a little later).</item>
/// </list>
/// No handler has to remember anything.
/// </summary>
public static class Revocation
{
    public const string Channel = "provisioning_credentials_revoked";
    public const string RevokedSetting = "provisioning.revoked_keys";

    /// <summary>The notice a tenant's suspension or resumption sends: every cached credential may have changed.</summary>
    public const string Everything = "*";

    public static bool IsEverything(string? payload) => payload?.Split(',').Contains(Everything) == true;

    public static IReadOnlyList<KeyId> Parse(string? payload) =>
        string.IsNullOrEmpty(payload)
            ? []
            : [.. payload.Split(',', StringSplitOptions.RemoveEmptyEntries).Where(id => id != Everything).Distinct().Select(id => new KeyId(id))];
}
