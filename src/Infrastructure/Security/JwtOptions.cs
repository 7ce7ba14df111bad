namespace Provisioning.Infrastructure.Security;

/// <summary>Configuration section <c>Provisioning:Jwt</c>.</summary>
public sealed class JwtOptions
{
    public const string Section = "Provisioning:Jwt";

    /// <summary>Lifetime of issued JWTs (default one hour).</summary>
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromHours(1);
}
