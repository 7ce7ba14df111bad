using System.Threading.RateLimiting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Provisioning.Infrastructure.Credentials;

/// <summary>
/// A bound on the credentials read from the database at once (<see cref="CredentialLookupOptions.ConcurrentLookups"/>); the
/// others wait their turn, oldest first, up to <see cref="QueueLimit"/>, and past that are refused with
/// <see cref="CredentialLookupsBusyException"/> (503). A key the cache holds, or an id it knows no key has, takes no turn.
/// <para>Why: made-up key ids from many addresses (each under its share of the failed-attempt guard) each cost a lookup, and
/// unbounded they took the whole connection pool — requests with cached keys then waited for a connection (a probe: 1,500
/// made-up ids a second, right secrets 0.9 s). Bounded, they wait here instead, and the pool and the database's processors
/// stay with the requests that authenticated (docs/performance.md, "made-up key ids from many addresses").</para>
/// </summary>
internal sealed class CredentialLookups : IDisposable
{
    /// <summary>Lookups that may wait for a turn; one more is refused. At about a millisecond per lookup, a wait well under a second.</summary>
    public const int DefaultQueueLimit = 1000;

    private static readonly TimeSpan WarnEvery = TimeSpan.FromMinutes(1);

    private readonly ConcurrencyLimiter _turns;
    private readonly int _concurrent;
    private readonly int _queueLimit;
    private readonly ILogger _logger;
    private readonly TimeProvider _clock;
    private long _warnedAt;
    private long _refusedSinceWarning;

    public CredentialLookups(IOptions<CredentialLookupOptions> options, ILogger<CredentialLookups> logger, TimeProvider clock)
        : this(options.Value.ConcurrentLookups, DefaultQueueLimit, logger, clock)
    {
    }

    internal CredentialLookups(int concurrent, int queueLimit, ILogger logger, TimeProvider clock)
    {
        _concurrent = concurrent;
        _queueLimit = queueLimit;
        _logger = logger;
        _clock = clock;
        _warnedAt = clock.GetTimestamp() - (long)(WarnEvery.TotalSeconds * clock.TimestampFrequency) - 1;
        _turns = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = concurrent,
            QueueLimit = queueLimit,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
    }

    /// <summary>A turn to read from the database, to dispose when the read is done; throws <see cref="CredentialLookupsBusyException"/> when the queue is full.</summary>
    public async ValueTask<IDisposable> TurnAsync(CancellationToken cancellationToken)
    {
        var turn = await _turns.AcquireAsync(1, cancellationToken);
        if (turn.IsAcquired)
        {
            return turn;
        }

        turn.Dispose();
        Refused();
        throw new CredentialLookupsBusyException();
    }

    /// <summary>Counts a refusal and says so at Warning, at most once a minute with the count since the last such line.</summary>
    private void Refused()
    {
        Interlocked.Increment(ref _refusedSinceWarning);
        var last = Interlocked.Read(ref _warnedAt);
        if (_clock.GetElapsedTime(last) < WarnEvery || Interlocked.CompareExchange(ref _warnedAt, _clock.GetTimestamp(), last) != last)
        {
            return;
        }

        var refused = Interlocked.Exchange(ref _refusedSinceWarning, 0);
        _logger.LogWarning(
            "Credential lookups at their limit ({Concurrent} at once, {Queued} waiting): {Refused} request(s) answered 503 since the last such line. " +
            "A flood of unknown key ids, or every key read afresh under heavy traffic (a restart, the revocation listener reconnecting); " +
            "see docs/operations.md \"Credential lookups\"",
            _concurrent, _queueLimit, refused);
    }

    public void Dispose() => _turns.Dispose();
}
