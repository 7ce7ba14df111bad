using Provisioning.Domain.Common;
using Provisioning.Domain.Credentials;

namespace Provisioning.Application.Common.Abstractions;

/// <summary>A key as authentication needs it: who it speaks for and its secret in plaintext (held in memory only).</summary>
public sealed record Credential(
    KeyId KeyId,
    KeyKind Kind,
    TenantId TenantId,
    ServiceAccountId? ServiceAccountId,
    AppId? AppId,
    string Secret);

/// <summary>Looks up keys for authentication, through a short-lived cache.</summary>
public interface ICredentialStore
{
    /// <summary>The key with this id, or null. At most one database query per call.</summary>
    ValueTask<Credential?> FindAsync(KeyId keyId, CancellationToken cancellationToken);
}

/// <summary>Notes that a key was used; written to the database in batches, not on every request.</summary>
public interface IKeyUsageRecorder
{
    void Record(KeyId keyId);
}
