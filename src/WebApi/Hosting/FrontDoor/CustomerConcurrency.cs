using System.Threading.RateLimiting;
using Provisioning.Application.Common.Logging;
using Provisioning.Application.Common.Metrics;
using Provisioning.WebApi.Authentication;

namespace Provisioning.WebApi.Hosting.FrontDoor;

/// <summary>
/// Middleware after the rate limiter: a customer's requests (<see cref="CredentialClaims.CustomerTenantId"/>: the root's child
/// and its whole subtree, however many keys and child tenants it makes; or the root's own keys) run at most
/// <see cref="RateLimitOptions.ConcurrentRequestsPerCustomer"/> at once on this instance. The next ones wait their turn
/// here, oldest first, holding no database connection: up to <see cref="QueuedPerRunning"/> times as many, each for at most
/// <see cref="MostWait"/>; past either, 429 with <c>Retry-After: 1</c>, said at Warning once a minute and counted
/// (<c>provisioning.customer_concurrency.refused</c>). A noisy-neighbour
/// probe's one key sent a change 150 times at once to a tenant row another transaction held: 98 of the pool's 100
/// connections waited for that row, and every tenant's requests were 503. (A limiter of its own, not chained in the
/// framework's: the framework first tries without waiting, and a chain's refused try had already spent a permit of the
/// key's window that is never given back — a review.) Requests without credentials (health, docs) are not counted.
/// </summary>
public sealed class CustomerConcurrency(int permits, TimeProvider clock, ILogger<CustomerConcurrency> logger, ServiceMetrics metrics) : IDisposable
{
    /// <summary>The most <see cref="RateLimitOptions.ConcurrentRequestsPerCustomer"/> may be: beyond it, no pool would be protected.</summary>
    public const int Most = 10_000;

    /// <summary>How many requests of one customer may wait for their turn per request that runs.</summary>
    public const int QueuedPerRunning = 20;

    /// <summary>The longest a request waits for its turn (as long as a key's lookup may wait for its own).</summary>
    public static readonly TimeSpan MostWait = TimeSpan.FromSeconds(15);

    private readonly PartitionedRateLimiter<string> _limiter = PartitionedRateLimiter.Create<string, string>(customer =>
        RateLimitPartition.GetConcurrencyLimiter(customer, _ => new ConcurrencyLimiterOptions
        {
            PermitLimit = Math.Max(1, permits),
            QueueLimit = Math.Max(1, permits) * QueuedPerRunning,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        }));

    private readonly OnceEvery _refusals = new(clock);

    /// <summary>A customer's requests that run at once on this instance (0: no limit).</summary>
    public int Permits => permits;

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        if (permits <= 0 || context.User.FindFirst(CredentialClaims.CustomerTenantId)?.Value is not { } customer)
        {
            await next(context);
            return;
        }

        // A free turn is taken at once (no wait, no timer: the usual case); a failed try takes nothing, and fails too while
        // others wait (oldest first), so the wait below keeps their order.
        RateLimitLease? lease = _limiter.AttemptAcquire(customer);
        try
        {
            if (!lease.IsAcquired)
            {
                lease.Dispose();
                lease = null;
                lease = await WaitForATurnAsync(customer, context.RequestAborted);
            }

            if (lease is not { IsAcquired: true })
            {
                metrics.CustomerConcurrencyRefused();
                _refusals.Say((count, since) => logger.LogWarning(
                    "{Count} request(s) refused (429) since {Since:u} because their customer had {Permits} running at once on this " +
                    "instance and {Queued} waiting, or one waited {MostWait} s; the last of customer {Customer} " +
                    "(Provisioning:RateLimit:ConcurrentRequestsPerCustomer; docs/operations.md, \"Connections\")",
                    count, since, permits, permits * QueuedPerRunning, MostWait.TotalSeconds, customer));
                await RateLimiting.RefuseAsync(context, lease);
                return;
            }

            await next(context);
        }
        finally
        {
            lease?.Dispose();
        }
    }

    /// <summary>A turn waited for, at most <see cref="MostWait"/>; null when that passed first.</summary>
    private async Task<RateLimitLease?> WaitForATurnAsync(string customer, CancellationToken aborted)
    {
        using var waited = new CancellationTokenSource(MostWait, clock);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(waited.Token, aborted);
        try
        {
            return await _limiter.AcquireAsync(customer, 1, either.Token);
        }
        catch (OperationCanceledException) when (waited.IsCancellationRequested && !aborted.IsCancellationRequested)
        {
            return null; // waited its longest: refused as a full queue is
        }
    }

    public void Dispose()
    {
        _limiter.Dispose();
        _refusals.Dispose();
    }
}
