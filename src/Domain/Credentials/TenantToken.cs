namespace Provisioning.Domain.Credentials;

/// <summary>
/// The opaque API token handed out when a tenant is provisioned: an account key id and its secret
/// joined by a dot. Clients treat it as opaque; it is never a JWT (one dot, not two).
/// </summary>
public static class TenantToken
{
    public static string Format(string keyId, string secret) => keyId + "." + secret;

    public static bool TryParse(string token, out KeyId keyId, out string secret)
    {
        keyId = default;
        secret = string.Empty;
        var dot = token.IndexOf('.');
        if (dot <= 0 || dot == token.Length - 1 || token.IndexOf('.', dot + 1) >= 0)
        {
            return false;
        }

        if (!KeyId.TryParse(token[..dot], out keyId, out var kind) || kind != KeyKind.Account)
        {
            return false;
        }

        secret = token[(dot + 1)..];
        return true;
    }
}
