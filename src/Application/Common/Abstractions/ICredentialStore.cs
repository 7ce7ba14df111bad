using Provisioning.Domain.Common;
using Provisioning.Domain.Credentials;

namespace Provisioning.Application.Common.Abstractions;

/// <summary>Looks up keys for authentication, through a short-lived cache.</summary>
public interface ICredentialStore
{
    /// <summary>The key with this id, or null. At most one database query per call.</summary>
    ValueTask<Credential?> FindAsync(KeyId keyId, CancellationToken cancellationToken);
}
