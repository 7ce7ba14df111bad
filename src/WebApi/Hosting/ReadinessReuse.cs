using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Provisioning.WebApi.Hosting;

/// <summary>
/// The last readiness result, reused for a short window (<see cref="ReadinessOptions.ReuseMilliseconds"/>, a second by
/// default), and one check at a time: probes that come while a check runs wait for it and take its result. <c>/readyz</c>
/// needs no credentials and is answered before the rate limiter (a limiter by client address would let a flood of other
/// requests through a proxy's address take an instance out of its load balancer), and a check costs the database three
/// or four statements and the service a master-key decryption: a flood of probes cost the database thousands of
/// transactions a second and slowed every tenant (a probe). Now it costs one check per window, and a change of readiness
/// shows within the window.
/// </summary>
public sealed class ReadinessReuse(TimeSpan window, TimeProvider clock)
{
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);
    private Checked? _last;

    public async Task<HealthCheckResult> GetAsync(Func<CancellationToken, Task<HealthCheckResult>> check, CancellationToken cancellationToken)
    {
        if (window <= TimeSpan.Zero)
        {
            return await check(cancellationToken);
        }

        if (Fresh() is { } fresh)
        {
            return fresh;
        }

        await _oneAtATime.WaitAsync(cancellationToken);
        try
        {
            if (Fresh() is { } checkedMeanwhile)
            {
                return checkedMeanwhile; // by the probe this one waited for
            }

            var result = await check(cancellationToken);
            Volatile.Write(ref _last, new Checked(result, clock.GetTimestamp()));
            return result;
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    private HealthCheckResult? Fresh() =>
        Volatile.Read(ref _last) is { } last && clock.GetElapsedTime(last.At) < window ? last.Result : null;

    private sealed record Checked(HealthCheckResult Result, long At);
}
