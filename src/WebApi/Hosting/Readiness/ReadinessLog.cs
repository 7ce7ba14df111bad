using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Provisioning.WebApi.Hosting.Readiness;

/// <summary>
/// What the readiness check logs (the health-check service's own lines are off, <see cref="Observability.HealthChecksCategory"/>: a check added later
/// must note its result here, or its failures go unlogged): an Error line when the instance becomes not ready, with the reason, then at most one a minute
/// while it lasts (with the latest reason: during an outage it changes from poll to poll — refused, timed out, starting
/// up — and a line per change was the flood again; a review), and an Information line when it is ready again. A load
/// balancer polling <c>/readyz</c> every second during an outage wrote an Error line per poll, 3,600 an hour per instance
/// (an operator's probe). One per instance (a singleton).
/// <para>
/// But a reason that is no outage (<see cref="Outage"/> marks those), and is not the last one said, is said
/// <see cref="ChangeEvery"/> after it rather than at the minute: a database back from a restart but in recovery, or
/// reached but not migrated, is another thing to do than one that does not answer (a point-in-time restore probe read
/// "not reachable" for the whole of a 40 s recovery).
/// </para>
/// </summary>
public sealed class ReadinessLog(ILogger<ReadinessLog> logger, TimeProvider clock)
{
    /// <summary>How often a reason that lasts is logged again.</summary>
    public static readonly TimeSpan RepeatEvery = TimeSpan.FromMinutes(1);

    /// <summary>How soon after the last line another reason, not an outage's, is said.</summary>
    public static readonly TimeSpan ChangeEvery = TimeSpan.FromSeconds(10);

    /// <summary>The data of a result whose reason is an outage (the database not answering, or ending the session).</summary>
    public static readonly IReadOnlyDictionary<string, object> Outage = new Dictionary<string, object> { [OutageKey] = true };

    private const string OutageKey = "outage";

    private readonly Lock _gate = new();
    private string? _reason; // null: ready, or not checked yet
    private string? _said; // the reason of the last Error line
    private long _loggedAt;

    public void Note(HealthCheckResult result)
    {
        var reason = result.Status == HealthStatus.Healthy ? null : result.Description ?? "The readiness check failed.";
        bool log;
        bool recovered;
        lock (_gate)
        {
            var since = clock.GetElapsedTime(_loggedAt);
            recovered = reason is null && _reason is not null;
            log = reason is not null
                  && (_reason is null
                      || since >= RepeatEvery
                      || (since >= ChangeEvery && reason != _said && !result.Data.ContainsKey(OutageKey)));
            if (log)
            {
                _loggedAt = clock.GetTimestamp();
                _said = reason;
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
