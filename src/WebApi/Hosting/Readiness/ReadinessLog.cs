using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Provisioning.WebApi.Hosting.Readiness;

/// <summary>
/// What the readiness check logs (the health-check service's own lines are off, <see cref="Observability.HealthChecksCategory"/>: a check added later
/// must note its result here, or its failures go unlogged): an Error line when the instance becomes not ready, with the reason, then at most one a minute
/// while it lasts (with the latest reason: during an outage it changes from poll to poll — refused, timed out, starting
/// up — and a line per change was the flood again; a review), and an Information line when it is ready again. A load
/// balancer polling <c>/readyz</c> every second during an outage wrote an Error line per poll, 3,600 an hour per instance
/// (an operator's probe). One per instance (a singleton).
/// </summary>
public sealed class ReadinessLog(ILogger<ReadinessLog> logger)
{
    /// <summary>How often a reason that lasts is logged again.</summary>
    public static readonly TimeSpan RepeatEvery = TimeSpan.FromMinutes(1);

    private readonly Lock _gate = new();
    private string? _reason; // null: ready, or not checked yet
    private long _loggedAt;

    public void Note(HealthCheckResult result)
    {
        var reason = result.Status == HealthStatus.Healthy ? null : result.Description ?? "The readiness check failed.";
        bool log;
        bool recovered;
        lock (_gate)
        {
            var now = Environment.TickCount64;
            recovered = reason is null && _reason is not null;
            log = reason is not null && (_reason is null || now - _loggedAt >= (long)RepeatEvery.TotalMilliseconds);
            if (log)
            {
                _loggedAt = now;
            }

            _reason = reason;
        }

        if (recovered)
        {
            logger.LogInformation("Ready again: the readiness check passes.");
        }

        if (log)
        {
            logger.LogError(result.Exception, "Not ready (/readyz answers 503): {Reason} (said again each minute while it lasts)", reason);
        }
    }
}
