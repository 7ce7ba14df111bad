using Provisioning.Domain.Credentials;

namespace Provisioning.Application.Common.Abstractions;

/// <summary>Issues HS256 JWTs signed with a key's secret (kid = key id, scope, iat, exp).</summary>
public interface ITokenIssuer
{
    string Issue(KeyId keyId, string secret, string scope);
}
