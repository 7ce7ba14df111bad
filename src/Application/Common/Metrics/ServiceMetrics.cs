using System.Diagnostics.Metrics;

namespace Provisioning.Application.Common.Metrics;

/// <summary>
/// The service's own metrics (meter <see cref="MeterName"/>), exported with the framework's over OTLP when
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (docs/operations.md "Observability", where each is listed with what to alert on):
/// what the logs say at most once a minute — a credential cache not trusted, lookups refused, a guessing client refused, a
/// revocation answered unconfirmed, a customer's requests refused for running too many at once, a master key retired under a
/// running instance — as numbers a dashboard can plot and an alert can watch. Made by the container's
/// <see cref="IMeterFactory"/>, so each instance in one process (the tests run several) has meters of its own.
/// </summary>
public sealed class ServiceMetrics
{
    public const string MeterName = "Provisioning";

    /// <summary>The tag saying how a credential lookup was answered: <c>cached</c>, <c>database</c>, <c>refused</c> or <c>unavailable</c>.</summary>
    public const string LookupOutcomeTag = "provisioning.lookup.outcome";

    /// <summary>The tag saying why a revocation was answered unconfirmed (<see cref="RevocationUnconfirmed"/>).</summary>
    public const string UnconfirmedReasonTag = "provisioning.unconfirmed.reason";

    /// <summary>This instance's own revocation listener was not listening (reconnecting, or not hearing its heartbeat).</summary>
    public const string UnconfirmedListenerDown = "listener_down";

    /// <summary>This instance's listener did not hear its own barrier.</summary>
    public const string UnconfirmedOwnBarrierUnheard = "own_barrier_unheard";

    /// <summary>
    /// Other instances did not confirm in time (stalled, or their host gone), or were not waited for because they had not
    /// confirmed an earlier one and have not confirmed since: counted for every revocation answered so.
    /// </summary>
    public const string UnconfirmedInstancesSilent = "instances_silent";

    /// <summary>The barrier could not be sent in time (no connection free in the pool, the database slow to answer).</summary>
    public const string UnconfirmedBarrierNotSent = "barrier_not_sent";

    /// <summary>Sending the barrier failed (most likely the database gone after the commit).</summary>
    public const string UnconfirmedFailed = "failed";

    private static readonly KeyValuePair<string, object?> Cached = new(LookupOutcomeTag, "cached");
    private static readonly KeyValuePair<string, object?> Read = new(LookupOutcomeTag, "database");
    private static readonly KeyValuePair<string, object?> Refused = new(LookupOutcomeTag, "refused");
    private static readonly KeyValuePair<string, object?> Unavailable = new(LookupOutcomeTag, "unavailable");

    private readonly Meter _meter;
    private readonly Counter<long> _lookups;
    private readonly Counter<long> _guardRefusals;
    private readonly Counter<long> _unconfirmed;
    private readonly Counter<long> _replays;
    private readonly Counter<long> _customerRefusals;

    public ServiceMetrics(IMeterFactory meters)
    {
        _meter = meters.Create(MeterName);
        _lookups = _meter.CreateCounter<long>("provisioning.credential.lookups", "{lookup}",
            "Keys looked up (to authenticate a request, and again before each change it makes), by outcome: cached, database (read there), refused (no turn to read: 503), unavailable (the read failed: 503).");
        _guardRefusals = _meter.CreateCounter<long>("provisioning.failed_attempts.refused", "{request}",
            "Requests the failed-attempt guard refused with 429 before their credentials were checked.");
        _unconfirmed = _meter.CreateCounter<long>("provisioning.revocation.unconfirmed", "{revocation}",
            "Revocations answered without every instance's confirmation that it dropped the keys, by reason.");
        _replays = _meter.CreateCounter<long>("provisioning.idempotency.replays", "{request}",
            "Requests answered with the stored answer of an earlier one under the same Idempotency-Key.");
        _customerRefusals = _meter.CreateCounter<long>("provisioning.customer_concurrency.refused", "{request}",
            "Requests refused with 429 because their customer had as many running and waiting on this instance as it may, or one waited its longest (Provisioning:RateLimit:ConcurrentRequestsPerCustomer).");
    }

    /// <summary>A key answered from this instance's cache (or an id it knows no key has).</summary>
    public void LookupCached() => _lookups.Add(1, Cached);

    /// <summary>A key read from the database (or found not to be there).</summary>
    public void LookupRead() => _lookups.Add(1, Read);

    /// <summary>A lookup whose read failed: the database away, not answering in time, or in recovery (503).</summary>
    public void LookupUnavailable() => _lookups.Add(1, Unavailable);

    /// <summary>A lookup refused for want of a turn (503).</summary>
    public void LookupRefused() => _lookups.Add(1, Refused);

    public void FailedAttemptGuardRefused() => _guardRefusals.Add(1);

    /// <summary>A revocation answered before every instance confirmed it: <paramref name="reason"/> one of the <c>Unconfirmed…</c> constants.</summary>
    public void RevocationUnconfirmed(string reason) => _unconfirmed.Add(1, new KeyValuePair<string, object?>(UnconfirmedReasonTag, reason));

    public void IdempotentReplay() => _replays.Add(1);

    /// <summary>A request refused because its customer had as many running and waiting as it may (429).</summary>
    public void CustomerConcurrencyRefused() => _customerRefusals.Add(1);

    /// <summary>
    /// <c>provisioning.credential.cache.trusted</c>: 1 while this instance's credential cache is trusted (its revocation
    /// listener connected and hearing its heartbeats), 0 while every request's key is read from the database instead. Observed
    /// from <paramref name="trusted"/> when the metrics are collected.
    /// </summary>
    public void ObserveCredentialCache(Func<bool> trusted) =>
        _meter.CreateObservableGauge("provisioning.credential.cache.trusted", () => trusted() ? 1 : 0, "1",
            "1 while this instance's credential cache is trusted (its revocation listener connected and hearing itself), else 0: every request's key is then read from the database.");

    /// <summary>
    /// <c>provisioning.master_key.retired</c>: 1 while this instance's master key is one a finished <c>rotate-secrets</c>
    /// retired (a straggler: it refuses every request that would store a secret, and <c>/readyz</c> answers 503), else 0.
    /// Observed from <paramref name="retired"/>.
    /// </summary>
    public void ObserveMasterKey(Func<bool> retired) =>
        _meter.CreateObservableGauge("provisioning.master_key.retired", () => retired() ? 1 : 0, "1",
            "1 while this instance's master key is one a finished rotate-secrets retired: it refuses to store secrets until restarted with the current key.");
}
