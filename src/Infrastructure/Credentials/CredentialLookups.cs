using System.Threading.RateLimiting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Provisioning.Application.Common.Logging;

namespace Provisioning.Infrastructure.Credentials;

/// <summary>
/// A bound on the credentials read from the database at once (<see cref="CredentialLookupOptions.ConcurrentLookups"/>); the
/// others wait their turn, oldest first, up to <see cref="DefaultQueueLimit"/> of them and <see cref="MaxWait"/> each, and
/// past either are refused with <see cref="CredentialLookupsBusyException"/> (503). A key the cache holds, or an id it knows
/// no key has, takes no turn. Ids the instance has found to be keys lately have turns and a queue of their own (as many
/// again): a cached key read again when its entry expires (every minute), or after the revocation listener reconnected,
/// does not wait behind a flood of made-up ids — which cannot reach that lane, made-up ids being no key's (a deleted key's
/// id leaves it at its next lookup), and a real key id reaches it about once a minute while the cache is trusted (it is
/// cached after its lookup).
/// <para>Why: made-up key ids from many addresses (each under its share of the failed-attempt guard) each cost a lookup, and
/// unbounded they took the whole connection pool — requests with cached keys then waited for a connection (a probe: 1,500
/// made-up ids a second, right secrets 0.9 s). Bounded, they wait here instead, and the pool and the database's processors
/// stay with the requests that authenticated (docs/performance.md, "made-up key ids from many addresses").</para>
/// </summary>
internal sealed class CredentialLookups : IDisposable
{
    /// <summary>Lookups that may wait for a turn; one more is refused. At about a millisecond per lookup, a wait well under a second.</summary>
    public const int DefaultQueueLimit = 1000;

    /// <summary>
    /// How long a lookup waits for a turn before it is refused: as long as a request waited for a pooled connection before
    /// there were turns (Npgsql's default connect timeout). Reached when the database stops answering, and the turns' holders
    /// with it: without it, the last of a thousand waiting would have waited for each turn's statement to time out in turn.
    /// </summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(15);

    private readonly ConcurrencyLimiter _turns;
    private readonly ConcurrencyLimiter _knownTurns;
    private readonly int _concurrent;
    private readonly int _queueLimit;
    private readonly ILogger _logger;
    private readonly TimeProvider _clock;
    private readonly OnceEvery _refusals;

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
        _refusals = new OnceEvery(clock);
        _turns = Turns(concurrent, queueLimit);
        _knownTurns = Turns(concurrent, queueLimit);
    }

    /// <summary>Lookups of ids not known to be keys waiting for a turn now (for tests).</summary>
    internal long Waiting => _turns.GetStatistics()?.CurrentQueuedCount ?? 0;

    /// <summary>
    /// A turn to read from the database, to dispose when the read is done. Throws <see cref="CredentialLookupsBusyException"/>
    /// when the queue is full or the wait passed <see cref="MaxWait"/>; <see cref="OperationCanceledException"/> when the
    /// caller gave up (its place in the queue is given back). <paramref name="known"/>: the id was found to be a key lately.
    /// </summary>
    public async ValueTask<IDisposable> TurnAsync(bool known, CancellationToken cancellationToken)
    {
        var turns = known ? _knownTurns : _turns;
        var turn = turns.AttemptAcquire(1);
        if (turn.IsAcquired)
        {
            return turn;
        }

        turn.Dispose();
        using (var deadline = new CancellationTokenSource(MaxWait, _clock))
        using (var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token))
        {
            try
            {
                turn = await turns.AcquireAsync(1, either.Token);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw Refused();
            }
        }

        if (turn.IsAcquired)
        {
            return turn;
        }

        turn.Dispose();
        throw Refused();
    }

    /// <summary>
    /// The refusal, counted, and said at Warning at most once a minute with the count since the last such line (then it is
    /// marked logged: the error handler writes no line per refused request).
    /// </summary>
    private CredentialLookupsBusyException Refused()
    {
        var refusal = new CredentialLookupsBusyException();
        FaultLog.MarkLogged(refusal);
        _refusals.Say((refused, since) => _logger.LogWarning(
            "Credential lookups at their limit ({Concurrent} at once, {Queued} waiting at most, {MaxWait} s each): {Refused} request(s) " +
            "answered 503 since {Since:u}. A flood of unknown key ids, or many keys read afresh under heavy traffic (a restart, the " +
            "revocation listener reconnecting), or a database that stopped answering; see docs/operations.md \"Credential lookups\"",
            _concurrent, _queueLimit, (int)MaxWait.TotalSeconds, refused, since));
        return refusal;
    }

    public void Dispose()
    {
        _turns.Dispose();
        _knownTurns.Dispose();
        _refusals.Dispose();
    }

    private static ConcurrencyLimiter Turns(int concurrent, int queueLimit) => new(new ConcurrencyLimiterOptions
    {
        PermitLimit = concurrent,
        QueueLimit = queueLimit,
        QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
    });
}
