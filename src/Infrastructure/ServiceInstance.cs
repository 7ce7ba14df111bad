using System.Security.Cryptography;

namespace Provisioning.Infrastructure;

/// <summary>
/// This instance among those sharing the database (one per service container: the tests run several in one process),
/// named by an id made as it starts. Its PostgreSQL sessions carry the id in their <c>application_name</c> — the pool's
/// <see cref="ApplicationName"/> (unless the connection string sets one), the revocation listener's
/// <c>provisioning-revocations &lt;id&gt;</c> — so that <c>pg_stat_activity</c>, PostgreSQL's log (<c>%a</c>) and the lock
/// holders a <c>rotate-secrets</c> names say which instance a session is; its start logs the id, and a revocation not
/// confirmed names the instances by it.
/// </summary>
public sealed class ServiceInstance
{
    /// <summary>Not a prefix of the listener's name (<c>Credentials.RevocationBarrier</c> finds the listeners by theirs).</summary>
    private const string ApplicationNamePrefix = "provisioning ";

    /// <summary>16 hex digits, random.</summary>
    public string Id { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    /// <summary>The <c>application_name</c> of this instance's pooled connections when the connection string sets none.</summary>
    public string ApplicationName => ApplicationNamePrefix + Id;
}
