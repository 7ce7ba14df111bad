using Provisioning.Application.Common.Abstractions;
using Provisioning.Domain.Credentials;

namespace Provisioning.Application.Keys;

/// <summary>An API key's secret, encrypted and read back bound to that key (<see cref="SecretBinding.OfKey(ApiKey)"/>).</summary>
public static class KeySecrets
{
    /// <summary>The protection a key's factory applies to <paramref name="secret"/> once the key's identity is set.</summary>
    public static Func<ApiKey, byte[]> ProtectFor(this ISecretProtector protector, string secret) =>
        key => protector.Protect(secret, SecretBinding.OfKey(key));

    public static string SecretOf(this ISecretProtector protector, ApiKey key) =>
        protector.Unprotect(key.ProtectedSecret, SecretBinding.OfKey(key));
}
