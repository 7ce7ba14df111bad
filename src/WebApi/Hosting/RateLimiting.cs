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
/// others) or, before authentication succeeds, by client address (so guessing secrets is slow).
/// Refusals are 429 <c>too_many_requests</c> with <c>Retry-After</c>.
/// </summary>
public static class RateLimiting
{
    public static IServiceCollection AddProvisioningRateLimiting(this IServiceCollection services, IConfiguration configuration)
    {
        var permits = StartupChecks.Run(() => configuration.GetSection(RateLimitOptions.Section).Get<RateLimitOptions>()?.PermitsPerMinute)
            ?? new RateLimitOptions().PermitsPerMinute;
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
            options.OnRejected = (context, cancellationToken) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1);
                context.HttpContext.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                var (code, title) = ErrorEnvelope.ForStatus(StatusCodes.Status429TooManyRequests);
                return new ValueTask(ErrorEnvelope.WriteAsync(context.HttpContext, StatusCodes.Status429TooManyRequests, code, title));
            };
        });
        return services;
    }
}
