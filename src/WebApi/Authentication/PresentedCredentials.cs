using System.Net.Http.Headers;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Provisioning.Domain.Credentials;

namespace Provisioning.WebApi.Authentication;

/// <summary>Reading the <c>Authorization</c> header's forms, shared by the authentication handlers and the failed-attempt guard.</summary>
public static class PresentedCredentials
{
    /// <summary>What an <c>Authorization</c> header holds for <see cref="CredentialsAuthenticationHandler"/>.</summary>
    public enum Form
    {
        /// <summary>No credentials of a scheme this service reads (no header, another scheme, an empty value).</summary>
        None,

        /// <summary>Basic or Bearer, but naming no key: not base64, no colon, no tenant token.</summary>
        Malformed,

        /// <summary>A key id and a secret (not checked yet).</summary>
        Credentials,
    }

    /// <summary>
    /// Basic <c>keyId:secret</c> for any key; a tenant token (<c>keyId.secret</c>) as <c>Bearer</c>, or as Basic's password
    /// with any user name (DailyStory documents <c>api</c>; empty works too; API.md §2), one shaped like a key id included.
    /// A password that reads as a token is one: a key's secret never does (it holds no dot).
    /// </summary>
    public static Form Read(string? authorization, out KeyId keyId, out string secret)
    {
        keyId = default;
        secret = string.Empty;
        if (!AuthenticationHeaderValue.TryParse(authorization, out var header) || string.IsNullOrEmpty(header.Parameter))
        {
            return Form.None;
        }

        if (header.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase))
        {
            if (!TryDecodeBasic(header.Parameter, out var user, out var password))
            {
                return Form.Malformed;
            }

            if (TenantToken.TryParse(password, out keyId, out secret))
            {
                return Form.Credentials;
            }

            if (KeyId.TryParse(user, out keyId, out _))
            {
                secret = password;
                return Form.Credentials;
            }

            return Form.Malformed;
        }

        if (header.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase))
        {
            return TenantToken.TryParse(header.Parameter, out keyId, out secret) ? Form.Credentials : Form.Malformed;
        }

        return Form.None;
    }

    /// <summary>
    /// The key id a request's credentials name, whether or not they are right: any form <see cref="Read"/> reads, or a
    /// client-signed JWT's <c>kid</c>. Null when there are none or they name no key.
    /// </summary>
    public static string? KeyIdOf(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (AuthenticationSchemes.BearerJwt(authorization) is { } jwt)
        {
            try
            {
                return KeyId.TryParse(new JsonWebToken(jwt).Kid, out var kid, out _) ? kid.Value : null;
            }
            catch (ArgumentException)
            {
                return null;
            }
        }

        return Read(authorization, out var keyId, out _) == Form.Credentials ? keyId.Value : null;
    }

    /// <summary>
    /// Basic's base64 <c>user:password</c> (at most 1024 characters encoded), in one piece: the decoder skips white space,
    /// which made <c>Basic abcd efgh</c> a second spelling of the same credentials.
    /// </summary>
    private static bool TryDecodeBasic(string parameter, out string user, out string password)
    {
        user = password = string.Empty;
        Span<byte> buffer = stackalloc byte[Math.Min(parameter.Length, 1024)];
        if (parameter.Length > 1024 || parameter.AsSpan().ContainsAny(" \t\r\n") || !Convert.TryFromBase64String(parameter, buffer, out var written))
        {
            return false;
        }

        var text = Encoding.UTF8.GetString(buffer[..written]);
        var colon = text.IndexOf(':');
        if (colon < 0)
        {
            return false;
        }

        user = text[..colon];
        password = text[(colon + 1)..];
        return true;
    }
}
