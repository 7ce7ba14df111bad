using Provisioning.Domain.Credentials;

namespace Provisioning.Application.Common.Abstractions;

/// <summary>Issues HS256 JWTs signed with a key's secret (kid = key id, scope, iat, exp).</summary>
public interface ITokenIssuer
{
    /// <summary>A token signed with the key; it expires after the configured lifetime, or when the key does if that is sooner.</summary>
    string Issue(KeyId keyId, string secret, string scope, DateTimeOffset? keyExpiresAt = null);
}
