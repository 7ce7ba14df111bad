using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Domain.Credentials;

namespace Provisioning.Infrastructure.Security;

/// <summary>HS256 JWTs signed with the key's secret: header <c>kid</c>; claims <c>scope</c>, <c>iat</c>, <c>exp</c>.</summary>
internal sealed class JwtTokenIssuer(IOptions<JwtOptions> options, TimeProvider clock) : ITokenIssuer
{
    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    public string Issue(KeyId keyId, string secret, string scope, DateTimeOffset? keyExpiresAt = null)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var expires = now + options.Value.Lifetime;
        if (keyExpiresAt is { } keyEnd && keyEnd.UtcDateTime < expires)
        {
            expires = keyEnd.UtcDateTime; // A token never outlives its key.
        }

        return Handler.CreateToken(new SecurityTokenDescriptor
        {
            Claims = new Dictionary<string, object> { ["scope"] = scope },
            IssuedAt = now,
            Expires = expires,
            SigningCredentials = new SigningCredentials(
                new SymmetricSecurityKey(Encoding.UTF8.GetBytes(secret)) { KeyId = keyId.Value }, SecurityAlgorithms.HmacSha256),
        });
    }
}
