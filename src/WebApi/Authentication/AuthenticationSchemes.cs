namespace Provisioning.WebApi.Authentication;

public static class AuthenticationSchemes
{
    /// <summary>The default scheme: picks <see cref="Jwt"/> for a JWT bearer token, <see cref="Credentials"/> otherwise.</summary>
    public const string Default = "Provisioning";

    /// <summary>Client-signed HS256 JWTs (<c>Authorization: Bearer &lt;jwt&gt;</c>), validated by JwtBearer.</summary>
    public const string Jwt = "Jwt";

    /// <summary>Basic <c>keyId:secret</c>, Basic <c>api:&lt;token&gt;</c> and <c>Bearer &lt;tenant token&gt;</c>.</summary>
    public const string Credentials = "Credentials";

    /// <summary>True when a bearer value has the three dot-separated parts of a JWS compact token.</summary>
    public static bool LooksLikeJwt(string token) => token.Count(c => c == '.') == 2;

    /// <summary>The JWT of an <c>Authorization: Bearer &lt;jwt&gt;</c> header (what <see cref="Jwt"/> reads), else null.</summary>
    public static string? BearerJwt(string authorization) =>
        authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && authorization["Bearer ".Length..].Trim() is var token
        && LooksLikeJwt(token)
            ? token
            : null;
}
