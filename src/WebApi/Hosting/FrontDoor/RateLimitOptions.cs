namespace Provisioning.WebApi.Hosting.FrontDoor;

/// <summary>Configuration section <c>Provisioning:RateLimit</c>.</summary>
public sealed class RateLimitOptions
{
    public const string Section = "Provisioning:RateLimit";

    /// <summary>Requests per minute per credential (per client address when unauthenticated). 0 turns limiting off.</summary>
    public int PermitsPerMinute { get; set; } = 1200;

    /// <summary>
    /// Requests of one customer (the root's child and its subtree, or the root's own keys) that run at once on an instance;
    /// more wait their turn in memory, holding no database connection (<see cref="CustomerConcurrency"/>). A quarter of the
    /// database pool's default size: one tenant whose requests waited for a row lock held up the whole pool (a probe: 98 of
    /// 100 connections, every tenant's requests 503). 0 turns it off.
    /// </summary>
    public int ConcurrentRequestsPerCustomer { get; set; } = 25;
}
