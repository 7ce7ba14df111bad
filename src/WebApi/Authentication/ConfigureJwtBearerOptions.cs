using System.Runtime.ExceptionServices;
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
/// <item>a token that passed all of that is remembered (<see cref="VerifiedTokens"/>): sent again, its signature and
/// scope are not checked again, but its key is looked up and judged (deleted, disabled, expired, suspended) and its
/// <c>exp</c>/<c>nbf</c> applied on every request, exactly as the first time.</item>
/// </list>
/// </summary>
public sealed class ConfigureJwtBearerOptions(IHttpContextAccessor httpContextAccessor, VerifiedTokens verified) : IConfigureNamedOptions<JwtBearerOptions>
{
    public const string Algorithm = SecurityAlgorithms.HmacSha256;
    public static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(30);
    private const string CredentialItem = "provisioning.jwt.credential";
    private const string FailureItem = "provisioning.jwt.failure";

    /// <summary>
    /// After authentication, what a JWT's checks met is raised as it would be for Basic: a suspended tenant (403
    /// <c>tenant_suspended</c>), a fault looking up the key (a database that cannot be reached: 503; logged once, by the
    /// exception handler). Thrown
    /// inside JwtBearer's events it came out the same, but JwtBearer first logged each one at Error with its stack trace.
    /// </summary>
    public static Task RaiseDeferredFailure(HttpContext context, RequestDelegate next)
    {
        if (context.Items[FailureItem] is ExceptionDispatchInfo failure)
        {
            failure.Throw();
        }

        return next(context);
    }

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
            ? [new CredentialSigningKey(Encoding.UTF8.GetBytes(credential.Secret), kid)]
            : [];

    private async Task OnMessageReceived(MessageReceivedContext context)
    {
        var authorization = context.Request.Headers.Authorization.ToString();
        if (!authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            context.NoResult();
            return;
        }

        var token = authorization["Bearer ".Length..].Trim();
        // A token verified before names its key in what was remembered of it: its header, checked then, is the same bytes
        // now, so it is not parsed again (a JsonWebToken decodes and parses header and payload: the JWT line's extra cost
        // over Basic in the benchmark).
        var known = verified.Find(token);
        KeyId keyId;
        if (known is not null)
        {
            keyId = known.KeyId;
        }
        else if (!TryReadHeader(token, out keyId, out var refusal))
        {
            context.Fail(refusal);
            return;
        }

        var store = context.HttpContext.RequestServices.GetRequiredService<ICredentialStore>();
        Credential? credential;
        try
        {
            credential = await store.FindAsync(keyId, context.HttpContext.RequestAborted);
        }
        catch (Exception e) when (e is not OperationCanceledException || context.HttpContext.RequestAborted.IsCancellationRequested)
        {
            // A fault (the database away: 503, anything else: 500) is classified and logged once by the exception handler;
            // so is a client that hung up while its key was looked up (nothing logged, as on the Basic path). Thrown from
            // here, JwtBearer logged that at Error with its stack trace: 2,820 lines in 10 s of hang-ups (a probe).
            context.HttpContext.Items[FailureItem] = ExceptionDispatchInfo.Capture(e); // raised by RaiseDeferredFailure
            context.NoResult();
            return;
        }

        if (credential is null)
        {
            context.Fail("Unknown key.");
            return;
        }

        // Verified before: the signature and scope stand (a key's secret and kind never change); its lifetime and the key's
        // state are judged now, as on the first use.
        if (known is not null)
        {
            var now = context.HttpContext.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
            if (!known.IsLiveAt(now) || Accept(context.HttpContext, credential, now) is not { } principal)
            {
                context.Fail("Invalid credentials.");
                return;
            }

            context.Principal = principal;
            context.Success();
            return;
        }

        context.HttpContext.Items[CredentialItem] = credential;
        context.Token = token;
    }

    /// <summary>
    /// The key id a token's header names, if the header is one this service accepts: a compact JWS whose <c>alg</c> is
    /// HS256, whose <c>kid</c> is shaped like a key id and with no <c>crit</c> (RFC 7515 §4.1.11: extensions the recipient
    /// must understand; this service understands none). Else the reason to refuse it, for JwtBearer's log.
    /// </summary>
    private static bool TryReadHeader(string token, out KeyId keyId, out string refusal)
    {
        JsonWebToken jwt;
        try
        {
            jwt = new JsonWebToken(token);
        }
        catch (ArgumentException)
        {
            (keyId, refusal) = (default, "Malformed token.");
            return false;
        }

        if (jwt.Alg != Algorithm || !KeyId.TryParse(jwt.Kid, out keyId, out _) || jwt.TryGetHeaderValue<object>("crit", out _))
        {
            (keyId, refusal) = (default, "Unsupported token header.");
            return false;
        }

        refusal = string.Empty;
        return true;
    }

    private Task OnTokenValidated(TokenValidatedContext context)
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

        if (Accept(context.HttpContext, credential, context.HttpContext.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow()) is not { } principal)
        {
            context.Fail("Invalid credentials.");
            return Task.CompletedTask;
        }

        verified.Add(jwt.EncodedToken, new VerifiedTokens.Entry(credential.KeyId, Claimed(jwt.ValidFrom), Claimed(jwt.ValidTo)));
        context.Principal = principal;
        return Task.CompletedTask;
    }

    /// <summary>
    /// The same rule as Basic once the token is proven: the key's state (disabled, expired, tenant suspended) decides;
    /// a usable key's use is recorded and its principal returned, null otherwise.
    /// </summary>
    private static System.Security.Claims.ClaimsPrincipal? Accept(HttpContext context, Credential credential, DateTimeOffset now)
    {
        try
        {
            if (!credential.IsUsableAt(now))
            {
                return null;
            }
        }
        catch (Domain.Tenants.TenantSuspendedException)
        {
            context.Items[FailureItem] = ExceptionDispatchInfo.Capture(new Domain.Tenants.TenantSuspendedException()); // raised by RaiseDeferredFailure
            return null;
        }

        context.RequestServices.GetRequiredService<IKeyUsageRecorder>().Record(credential.KeyId);
        return CredentialClaims.ToPrincipal(credential, AuthenticationSchemes.Jwt);
    }

    /// <summary>A JsonWebToken's <c>nbf</c>/<c>exp</c> (DateTime.MinValue when the claim is absent) as an optional instant.</summary>
    private static DateTimeOffset? Claimed(DateTime instant) =>
        instant == DateTime.MinValue ? null : new DateTimeOffset(DateTime.SpecifyKind(instant, DateTimeKind.Utc));

    /// <summary>
    /// The <c>scope</c> claim of a token in the shape RFC 7515 and 7519 describe, else null (401). Checked once per token
    /// (a verified one is remembered). IdentityModel is more lenient than its documents, and each leniency made one
    /// signature pass as several tokens or a claim mean more than one thing:
    /// <list type="bullet">
    /// <item>every segment in base64url's alphabet, without padding (a signature with '=' appended passed);</item>
    /// <item>header and payload each exactly one JSON object: <c>{…}xyz</c> was read (and a payload so signed answered
    /// 500 with a stack trace in the log, a probe), and so was an empty payload;</item>
    /// <item><c>scope</c> a JSON string (an array is not a scope);</item>
    /// <item><c>exp</c>, <c>nbf</c>, <c>iat</c> (each time it occurs) a number, or a string of ASCII digits, the one
    /// leniency docs/authentication.md states: <c>" 1900000000"</c>, <c>"1,900,000,000"</c> and <c>"19e8"</c> were read as
    /// well.</item>
    /// </list>
    /// </summary>
    private static string? ScopeOf(JsonWebToken jwt)
    {
        foreach (var c in jwt.EncodedToken)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_' or '.'))
            {
                return null;
            }
        }

        try
        {
            using var header = JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(jwt.EncodedHeader));
            using var payload = JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(jwt.EncodedPayload));
            if (header.RootElement.ValueKind != JsonValueKind.Object || payload.RootElement.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            string? scope = null;
            foreach (var claim in payload.RootElement.EnumerateObject())
            {
                if (claim.NameEquals("scope"))
                {
                    scope = claim.Value.ValueKind == JsonValueKind.String ? claim.Value.GetString() : null;
                }
                else if ((claim.NameEquals("exp") || claim.NameEquals("nbf") || claim.NameEquals("iat")) && !IsNumericDate(claim.Value))
                {
                    return null;
                }
            }

            return scope;
        }
        catch (Exception e) when (e is JsonException or FormatException)
        {
            return null;
        }

        static bool IsNumericDate(JsonElement value) =>
            value.ValueKind == JsonValueKind.Number
            || (value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } digits && digits.All(char.IsAsciiDigit));
    }
}
