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
}
