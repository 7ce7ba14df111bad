using Provisioning.Domain.Common;

namespace Provisioning.Infrastructure.Credentials;

/// <summary>
/// A credential had to be read from the database while <see cref="CredentialLookups"/> had as many lookups waiting as it
/// holds, or it waited for a turn past <see cref="CredentialLookups.MaxWait"/>: 503, retry after <c>Retry-After</c>. Expected
/// under a flood of unknown key ids; logged by <see cref="CredentialLookups"/> at most once a minute, not per request.
/// </summary>
public sealed class CredentialLookupsBusyException()
    : ExpectedException("service_unavailable", 503, "Too many credentials are being checked at once; retry after the seconds in Retry-After.");
