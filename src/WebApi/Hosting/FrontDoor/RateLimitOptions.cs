namespace Provisioning.WebApi.Hosting.FrontDoor;

/// <summary>Configuration section <c>Provisioning:RateLimit</c>.</summary>
public sealed class RateLimitOptions
{
    public const string Section = "Provisioning:RateLimit";

    /// <summary>Requests per minute per credential (per client address when unauthenticated). 0 turns limiting off.</summary>
    public int PermitsPerMinute { get; set; } = 1200;
}
