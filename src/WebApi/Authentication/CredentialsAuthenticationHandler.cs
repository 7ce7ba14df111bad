using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Domain.Credentials;

namespace Provisioning.WebApi.Authentication;

/// <summary>
/// Basic <c>keyId:secret</c> for any key; for tenant tokens <c>Bearer &lt;token&gt;</c> and Basic with the token as
/// password and any user name that is not a key id (DailyStory documents <c>api</c>; empty works too). Secrets are compared in constant time; failures say nothing about why.
/// </summary>
public sealed class CredentialsAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ICredentialStore store,
    IKeyUsageRecorder usage,
    TimeProvider clock)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!AuthenticationHeaderValue.TryParse(Request.Headers.Authorization, out var header) || string.IsNullOrEmpty(header.Parameter))
        {
            return AuthenticateResult.NoResult();
        }

        KeyId keyId;
        string secret;
        if (header.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase))
        {
            if (!TryDecodeBasic(header.Parameter, out var user, out var password))
            {
                return AuthenticateResult.Fail("Malformed Basic credentials.");
            }

            if (KeyId.TryParse(user, out keyId, out _))
            {
                secret = password;
            }
            else if (!TenantToken.TryParse(password, out keyId, out secret))
            {
                // DailyStory: the tenant token as password, with any user name ("api" documented, empty included).
                return AuthenticateResult.Fail("Invalid credentials.");
            }
        }
        else if (header.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase))
        {
            if (!TenantToken.TryParse(header.Parameter, out keyId, out secret))
            {
                return AuthenticateResult.Fail("Invalid token.");
            }
        }
        else
        {
            return AuthenticateResult.NoResult();
        }

        var credential = await store.FindAsync(keyId, Context.RequestAborted);
        // Disabled and expired keys look like wrong ones; a suspended tenant's key, once proven, is 403 tenant_suspended.
        if (credential is null || !SecretsEqual(credential.Secret, secret) || !credential.IsUsableAt(clock.GetUtcNow()))
        {
            return AuthenticateResult.Fail("Invalid credentials.");
        }

        usage.Record(credential.KeyId);
        return AuthenticateResult.Success(new AuthenticationTicket(CredentialClaims.ToPrincipal(credential, Scheme.Name), Scheme.Name));
    }

    private static bool SecretsEqual(string expected, string presented) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(presented));

    private static bool TryDecodeBasic(string parameter, out string user, out string password)
    {
        user = password = string.Empty;
        Span<byte> buffer = stackalloc byte[Math.Min(parameter.Length, 1024)];
        if (parameter.Length > 1024 || !Convert.TryFromBase64String(parameter, buffer, out var written))
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
