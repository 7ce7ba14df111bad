namespace Provisioning.WebApi.Hosting.FrontDoor;

/// <summary>Configuration section <c>Provisioning:RateLimit</c>.</summary>
public sealed class RateLimitOptions
{
    public const string Section = "Provisioning:RateLimit";

    /// <summary>Requests per minute per credential (per client address when unauthenticated). 0 turns limiting off.</summary>
    public int PermitsPerMinute { get; set; } = 1200;

    /// <summary>
    /// Requests of one tenant's keys (the tenant a key belongs to) that run at once on an instance; more wait their turn in
    /// memory, holding no database connection (up to <see cref="QueuedPerRunning"/> times as many; past that, 429). A
    /// quarter of the database pool's default size: one tenant whose requests wait for a row lock held up the whole pool (a
    /// probe: 98 of 100 connections, every tenant's requests 503). 0 turns it off.
    /// </summary>
    public int ConcurrentRequestsPerTenant { get; set; } = 25;

    /// <summary>How many requests of one tenant may wait for their turn per request that runs.</summary>
    public const int QueuedPerRunning = 20;
}
