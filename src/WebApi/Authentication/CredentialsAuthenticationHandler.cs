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
/// password and any user name (DailyStory documents <c>api</c>; empty works too). Secrets are compared in constant time; failures say nothing about why.
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
        // Authorization is one field (RFC 9110 §11.6.2): two lines were read joined, and an empty one before a right one
        // authenticated.
        if (Request.Headers.Authorization.Count > 1)
        {
            return AuthenticateResult.Fail("Invalid credentials.");
        }

        switch (PresentedCredentials.Read(Request.Headers.Authorization, out var keyId, out var secret))
        {
            case PresentedCredentials.Form.None:
                return AuthenticateResult.NoResult();
            case PresentedCredentials.Form.Malformed:
                return AuthenticateResult.Fail("Invalid credentials.");
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
}
