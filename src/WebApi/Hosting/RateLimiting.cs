using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Provisioning.WebApi.Authentication;
using Provisioning.WebApi.Errors;

namespace Provisioning.WebApi.Hosting;

/// <summary>Configuration section <c>Provisioning:RateLimit</c>.</summary>
public sealed class RateLimitOptions
{
    public const string Section = "Provisioning:RateLimit";

    /// <summary>Requests per minute per credential (per client address when unauthenticated). 0 turns limiting off.</summary>
    public int PermitsPerMinute { get; set; } = 1200;
}

/// <summary>
/// The framework's rate limiter, partitioned by key id (so one noisy credential cannot starve the
/// others) or, before authentication succeeds, by client address. Refusals are 429 <c>too_many_requests</c> with
/// <c>Retry-After</c>.
/// <para>And, before authentication, the failed attempts of each client address (<see cref="GuardFailedAttempts"/>): past
/// the same number per minute, that address is refused before any credential is looked at, so guessing secrets is slow
/// and a flood of wrong ones never reaches the database. (The limiter above runs after authentication, where a right
/// secret has already moved the request into its key's partition.)</para>
/// </summary>
public static class RateLimiting
{
    public static IServiceCollection AddProvisioningRateLimiting(this IServiceCollection services, IConfiguration configuration)
    {
        var permits = StartupChecks.Run(() => configuration.GetSection(RateLimitOptions.Section).Get<RateLimitOptions>()?.PermitsPerMinute)
            ?? new RateLimitOptions().PermitsPerMinute;
        services.AddSingleton(new FailedAttempts(permits));
        services.AddRateLimiter(options =>
        {
            options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            {
                if (permits <= 0)
                {
                    return RateLimitPartition.GetNoLimiter("unlimited");
                }

                var partition = context.User.FindFirst(CredentialClaims.KeyId)?.Value
                    ?? "ip:" + (context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
                return RateLimitPartition.GetFixedWindowLimiter(partition, _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = permits,
                    Window = TimeSpan.FromMinutes(1),
                    QueueLimit = 0,
                });
            });
            options.OnRejected = (context, cancellationToken) => new ValueTask(RefuseAsync(context.HttpContext, context.Lease));
        });
        return services;
    }

    /// <summary>
    /// Middleware before authentication: an address whose failed attempts (answers 401) used up this minute's permits is
    /// refused with 429 before its credentials are checked, right or wrong; every 401 of authentication to credentials sent
    /// counts one. (A
    /// provisioning key refused inside a request is a 401 its caller's own key is limited for, by the limiter above.)
    /// </summary>
    public static async Task GuardFailedAttempts(HttpContext context, RequestDelegate next)
    {
        var failures = context.RequestServices.GetRequiredService<FailedAttempts>();
        if (failures.Off)
        {
            await next(context);
            return;
        }

        var address = "ip:" + (context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
        using (var probe = failures.Limiter.AttemptAcquire(address, 0))
        {
            if (!probe.IsAcquired)
            {
                await RefuseAsync(context, probe);
                return;
            }
        }

        await next(context);
        // A request without credentials guessed nothing: a client that waits for the challenge before sending its key
        // (curl --anyauth) makes one on every call, and the limiter after authentication holds those to its address's share.
        if (context.Response.StatusCode == StatusCodes.Status401Unauthorized && context.Request.Headers.Authorization.Count > 0)
        {
            failures.Limiter.AttemptAcquire(address).Dispose();
        }
    }

    private static Task RefuseAsync(HttpContext context, RateLimitLease lease)
    {
        var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1);
        context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        var (code, title) = ErrorEnvelope.ForStatus(StatusCodes.Status429TooManyRequests);
        return ErrorEnvelope.WriteAsync(context, StatusCodes.Status429TooManyRequests, code, title);
    }

    /// <summary>The failed attempts per client address in the current minute (none counted when limiting is off).</summary>
    public sealed class FailedAttempts(int permits) : IDisposable
    {
        public bool Off => permits <= 0;

        /// <summary>Used only when not <see cref="Off"/>.</summary>
        public PartitionedRateLimiter<string> Limiter { get; } = PartitionedRateLimiter.Create<string, string>(address =>
            RateLimitPartition.GetFixedWindowLimiter(address, _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = permits,
                Window = TimeSpan.FromMinutes(1),
                QueueLimit = 0,
            }));

        public void Dispose() => Limiter.Dispose();
    }
}
