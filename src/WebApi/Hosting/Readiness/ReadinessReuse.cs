using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Provisioning.WebApi.Hosting.Readiness;

/// <summary>
/// The last readiness result, reused for a short window (<see cref="ReadinessOptions.ReuseMilliseconds"/>, a second by
/// default), and one check at a time: probes that come while a check runs wait for it and take its result. <c>/readyz</c>
/// needs no credentials and is answered before the rate limiter (a limiter by client address would let a flood of other
/// requests through a proxy's address take an instance out of its load balancer), and a check costs the database six
/// or seven statements and the service a master-key decryption: a flood of probes cost the database thousands of
/// transactions a second and slowed every tenant (a probe). Now it costs one check per window, and a change of readiness
/// shows within the window.
/// <para>The check runs on its own, not under the probe that started it: a probe whose client hangs up leaves, and the
/// check goes on for the others. (It ran under the first probe's cancellation, so a load balancer timing out on a slow
/// database cancelled each shared check, and the waiting probes then checked one after another; a review.) So the
/// check must not use the probe's services: <see cref="DatabaseReadyHealthCheck"/> opens a scope of its own.</para>
/// </summary>
public sealed class ReadinessReuse(TimeSpan window, TimeProvider clock)
{
    private readonly Lock _gate = new();
    private Task<HealthCheckResult>? _running;
    private Checked? _last;

    /// <summary>
    /// The last result while it is fresh; else the check under way, or a new one, which this probe waits for until
    /// <paramref name="cancellationToken"/> (its own leaving) — the check itself is not cancelled by it.
    /// </summary>
    public Task<HealthCheckResult> GetAsync(Func<CancellationToken, Task<HealthCheckResult>> check, CancellationToken cancellationToken)
    {
        if (window <= TimeSpan.Zero)
        {
            return check(cancellationToken);
        }

        if (Fresh() is { } fresh)
        {
            return Task.FromResult(fresh);
        }

        Task<HealthCheckResult> running;
        lock (_gate)
        {
            if (Fresh() is { } checkedMeanwhile)
            {
                return Task.FromResult(checkedMeanwhile); // by the check this one would have waited for
            }

            // On the thread pool, never inline: RunAsync's end takes the gate to clear _running, after this assignment.
            running = _running ??= Task.Run(() => RunAsync(check));
        }

        return running.WaitAsync(cancellationToken);
    }

    private async Task<HealthCheckResult> RunAsync(Func<CancellationToken, Task<HealthCheckResult>> check)
    {
        try
        {
            var result = await check(CancellationToken.None);
            Volatile.Write(ref _last, new Checked(result, clock.GetTimestamp()));
            return result;
        }
        finally
        {
            lock (_gate)
            {
                _running = null;
            }
        }
    }

    private HealthCheckResult? Fresh() =>
        Volatile.Read(ref _last) is { } last && clock.GetElapsedTime(last.At) < window ? last.Result : null;

    private sealed record Checked(HealthCheckResult Result, long At);
}
