using Provisioning.Domain.Common;

namespace Provisioning.Infrastructure.Credentials;

/// <summary>
/// A credential had to be read from a database in recovery (<c>pg_is_in_recovery()</c>: a standby, or a restore replaying its
/// write-ahead log towards a point in time): 503, retry after <c>Retry-After</c>. What such a database holds may be behind
/// the revocations made on the primary, or before a restore's target time (a probe: keys deleted before the target
/// authenticated while the restore replayed towards it), and it delivers no revocation notice, so no credential is judged
/// from it. Logged by <see cref="CachedCredentialStore"/> at most once a minute, not per request.
/// </summary>
public sealed class DatabaseInRecoveryException()
    : ExpectedException("service_unavailable", 503,
        "The database is in recovery (a standby, or a restore under way): credentials are not checked against it; retry after the seconds in Retry-After.");
