using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Exceptions;
using Provisioning.Domain.Credentials;

namespace Provisioning.Application.Keys;

/// <summary>
/// Tokens issued for a key (<c>GET …/keys/{keyId}/jwt</c>): only for a key that is enabled and not expired. A key of a
/// suspended tenant gets one: the key is sound, and it and its token answer 403 until the tenant is resumed.
/// </summary>
public static class KeyTokens
{
    /// <summary>
    /// A JWT signed with <paramref name="key"/>. A disabled or expired key is 409: a token for it would be refused at
    /// once (an expired key's would even end before it began).
    /// </summary>
    public static JwtDto IssueFor(this ITokenIssuer tokens, ApiKey key, ISecretProtector protector, DateTimeOffset now)
    {
        if (key.Disabled)
        {
            throw new ConflictException("The key is disabled: a token signed with it would not work. Enable the key first.");
        }

        if (KeyLifetime.HasExpired(key.ExpiresAt, now))
        {
            throw new ConflictException("The key has expired: a token signed with it would not work.");
        }

        return new JwtDto(tokens.Issue(key.Id, protector.SecretOf(key), JwtScope.For(key.Kind), key.ExpiresAt));
    }
}
