using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Domain.Credentials;

namespace Provisioning.WebApi.Authentication;

/// <summary>
/// Client-signed HS256 JWTs, validated by JwtBearer (RFC 8725 minded):
/// <list type="bullet">
/// <item>the header is checked before anything is looked up: <c>alg</c> must be HS256 and <c>kid</c> shaped like a key id;</item>
/// <item>the one key <c>kid</c> names is loaded (through the credential cache) in <c>OnMessageReceived</c>, and the
/// signing-key resolver returns only that key, so the validator never tries others;</item>
/// <item><c>scope</c> must match the key's kind; <c>exp</c>/<c>nbf</c> are honoured with at most 30 s of skew.</item>
/// </list>
/// </summary>
public sealed class ConfigureJwtBearerOptions(IHttpContextAccessor httpContextAccessor) : IConfigureNamedOptions<JwtBearerOptions>
{
    public const string Algorithm = SecurityAlgorithms.HmacSha256;
    public static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(30);
    private const string CredentialItem = "provisioning.jwt.credential";

    public void Configure(string? name, JwtBearerOptions options)
    {
        if (name == AuthenticationSchemes.Jwt)
        {
            Configure(options);
        }
    }

    public void Configure(JwtBearerOptions options)
    {
        options.MapInboundClaims = false;
        // The challenge says "Bearer" and nothing more: an unknown kid and a bad signature must look the same.
        options.IncludeErrorDetails = false;
        options.RequireHttpsMetadata = false;
        options.TokenValidationParameters = new TokenValidationParameters
        {
            ValidateIssuer = false,
            ValidateAudience = false,
            ValidateLifetime = true,
            RequireExpirationTime = false,
            RequireSignedTokens = true,
            ValidateIssuerSigningKey = true,
            TryAllIssuerSigningKeys = false,
            ClockSkew = ClockSkew,
            ValidAlgorithms = [Algorithm],
            IssuerSigningKeyResolver = ResolveSigningKey,
        };
        options.Events = new JwtBearerEvents
        {
            OnMessageReceived = OnMessageReceived,
            OnTokenValidated = OnTokenValidated,
        };
    }

    private IEnumerable<SecurityKey> ResolveSigningKey(string token, SecurityToken securityToken, string kid, TokenValidationParameters parameters) =>
        httpContextAccessor.HttpContext?.Items[CredentialItem] is Credential credential && credential.KeyId.Value == kid
            ? [new SymmetricSecurityKey(Encoding.UTF8.GetBytes(credential.Secret)) { KeyId = kid }]
            : [];

    private static async Task OnMessageReceived(MessageReceivedContext context)
    {
        var authorization = context.Request.Headers.Authorization.ToString();
        if (!authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            context.NoResult();
            return;
        }

        var token = authorization["Bearer ".Length..].Trim();
        JsonWebToken jwt;
        try
        {
            jwt = new JsonWebToken(token);
        }
        catch (ArgumentException)
        {
            context.Fail("Malformed token.");
            return;
        }

        // RFC 7515 §4.1.11: a "crit" header lists extensions the recipient must understand; this service understands none.
        if (jwt.Alg != Algorithm || !KeyId.TryParse(jwt.Kid, out var keyId, out _) || jwt.TryGetHeaderValue<object>("crit", out _))
        {
            context.Fail("Unsupported token header.");
            return;
        }

        var store = context.HttpContext.RequestServices.GetRequiredService<ICredentialStore>();
        var credential = await store.FindAsync(keyId, context.HttpContext.RequestAborted);
        if (credential is null)
        {
            context.Fail("Unknown key.");
            return;
        }

        context.HttpContext.Items[CredentialItem] = credential;
        context.Token = token;
    }

    private static Task OnTokenValidated(TokenValidatedContext context)
    {
        if (context.HttpContext.Items[CredentialItem] is not Credential credential)
        {
            context.Fail("Unknown key.");
            return Task.CompletedTask;
        }

        if (context.SecurityToken is not JsonWebToken jwt || ScopeOf(jwt) != JwtScope.For(credential.Kind))
        {
            context.Fail("Wrong scope for this key.");
            return Task.CompletedTask;
        }

        // The same rule as Basic: the signature is proven, now the key's state (disabled, expired, tenant suspended).
        if (!credential.IsUsableAt(context.HttpContext.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow()))
        {
            context.Fail("Invalid credentials.");
            return Task.CompletedTask;
        }

        context.HttpContext.RequestServices.GetRequiredService<IKeyUsageRecorder>().Record(credential.KeyId);
        context.Principal = CredentialClaims.ToPrincipal(credential, AuthenticationSchemes.Jwt);
        return Task.CompletedTask;
    }

    /// <summary>The <c>scope</c> claim when it is a JSON string; null when absent or of any other type (an array is not a scope).</summary>
    private static string? ScopeOf(JsonWebToken jwt)
    {
        using var payload = JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(jwt.EncodedPayload));
        return payload.RootElement.ValueKind == JsonValueKind.Object
               && payload.RootElement.TryGetProperty("scope", out var scope)
               && scope.ValueKind == JsonValueKind.String
            ? scope.GetString()
            : null;
    }
}
