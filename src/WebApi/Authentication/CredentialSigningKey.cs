using Microsoft.IdentityModel.Tokens;

namespace Provisioning.WebApi.Authentication;

/// <summary>
/// A key's secret as the signing key JwtBearer checks a client-signed JWT with, named in messages by its key id only.
/// IdentityModel's failures list the keys they tried by their <c>ToString</c>, which for a <see cref="SymmetricSecurityKey"/>
/// holds its <c>InternalId</c>: the key's JWK thumbprint, an unsalted SHA-256 of the secret. JwtBearer logged it at
/// Information for every token with a real key id (not a secret) and a wrong signature, which anyone can send: for a
/// secret an operator chose (the bootstrap's), a dictionary check offline (a probe with every category at Trace).
/// </summary>
internal sealed class CredentialSigningKey : SymmetricSecurityKey
{
    public CredentialSigningKey(byte[] secret, string keyId)
        : base(secret)
    {
        KeyId = keyId;
    }

    public override string ToString() => $"the secret of key {KeyId}";
}
