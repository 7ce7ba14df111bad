using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Provisioning.Infrastructure.Persistence;

/// <summary>
/// Pooled sessions that logged in under role or database settings an operator has changed since (<see cref="SessionDefaults"/>):
/// PostgreSQL applies those at login only, and the pool keeps its sessions. A role's <c>default_transaction_read_only</c>
/// reset kept every write 503 and <c>/readyz</c> saying read-only for 4.5–5 minutes, until Npgsql's idle pruning replaced the
/// sessions (and never under steady load); a <c>statement_timeout</c> or <c>lock_timeout</c> set too short and reset went on
/// cancelling statements (probes). When the catalog differs from what a session of the pool logged in with, the pool's
/// sessions are replaced (<see cref="NpgsqlDataSource.Clear"/>: the idle ones at once, the busy ones when handed back).
/// Asked every <see cref="Every"/>, so that a change reaches every instance within seconds, and at once (at most once a second,
/// one question at a time) when a request or <c>/readyz</c> meets what a stale setting causes: a write refused as read-only,
/// a statement the server's own timer cancelled. Not through a pooler in transaction mode: its server sessions keep theirs
/// whatever this pool does (its own <c>server_lifetime</c> decides); through one in session mode the comparison is made, but
/// what replaces the pool's connections is the pooler's server sessions again (the Warning says so).
/// </summary>
public sealed class StaleSessions(NpgsqlDataSource pool, SessionDefaults defaults, DatabaseConnectionString connection, TimeProvider clock, ILogger<StaleSessions> logger)
    : DatabaseBackgroundService
{
    /// <summary>How often the catalog is compared when nothing else asks (one short statement on a pooled session).</summary>
    public static readonly TimeSpan Every = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan AtMostEvery = TimeSpan.FromSeconds(1);
    private readonly Lock _gate = new();
    private long _askedAt = long.MinValue;
    private Task<bool>? _asking;
    private bool _replaced;

    /// <summary>
    /// A fault (a request's, a background write's): when a stale setting may be its cause — a write refused as read-only
    /// (25006), a statement cancelled by the server's <c>statement_timeout</c> or <c>lock_timeout</c> — the catalog is
    /// compared in the background.
    /// </summary>
    public void Noticed(Exception exception)
    {
        if (!connection.TransactionPooled
            && DatabaseFailure.Of(exception) is { Kind: DatabaseFailureKind.ReadOnly or DatabaseFailureKind.ServerTimedOut })
        {
            _ = ReplacedAsync();
        }
    }

    /// <summary>
    /// Whether the pool's sessions were stale and have been replaced by this question: true when a session logged in under
    /// role or database settings that have changed since. One question at a time and at most one a second, for requests,
    /// <c>/readyz</c> and the timer together (the probe's /readyz asked besides a request, and both replaced the pool and
    /// said so for one reset); within the second, the last answer. A question that fails is said at Debug and changes nothing.
    /// </summary>
    public Task<bool> ReplacedAsync()
    {
        if (connection.TransactionPooled || defaults.Unreadable)
        {
            return Task.FromResult(false);
        }

        lock (_gate)
        {
            if (_asking is { IsCompleted: false } asking)
            {
                return asking;
            }

            var now = clock.GetTimestamp();
            if (_askedAt != long.MinValue && clock.GetElapsedTime(_askedAt, now) < AtMostEvery)
            {
                return Task.FromResult(_replaced);
            }

            _askedAt = now;
            return _asking = AskAsync();
        }
    }

    protected override async Task RunAsync(CancellationToken stoppingToken)
    {
        if (connection.TransactionPooled)
        {
            return;
        }

        UntracedCommands.FromHere(); // every 5 s, all the time (a question a request starts is traced with it; one it finds under way, not)
        using var timer = new PeriodicTimer(Every, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await ReplacedAsync().WaitAsync(stoppingToken); // a question under way is not waited for to stop
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task<bool> AskAsync() => _replaced = await CompareAsync();

    private async Task<bool> CompareAsync()
    {
        try
        {
            var now = await CatalogAsync();
            defaults.Seen(now);
            if (defaults.ChangedSince(now) is not { } changed)
            {
                return false;
            }

            // Forgotten before the sessions go: one that logs in meanwhile records the settings as they are now.
            defaults.Forget();
            pool.Clear();
            logger.LogWarning(
                "The role's or database's settings ({Settings}) changed after the pool's sessions logged in, which PostgreSQL " +
                "applies at login only: the pool's connections are replaced, and sessions opened for them run under the settings as " +
                "they are now — unless a pooler such as PgBouncer hands back its own older ones: end those (docs/operations.md)",
                string.Join(", ", changed));
            return true;
        }
        catch (Exception e)
        {
            if (PostgresError.In(e) is { } refused)
            {
                defaults.Refused(refused); // the catalog not readable: said once, and not asked again
            }

            // Only asked: a question that fails (the database away, the process stopping) changes nothing.
            logger.LogDebug("The role's and database's settings could not be compared with the pool's sessions' ({Reason})", Application.Common.Logging.FaultLog.Reason(e));
            return false;
        }
    }

    /// <summary>
    /// <see cref="SessionDefaults.Sql"/>'s answer now: on a pooled session, whichever (the catalog reads the same in each),
    /// and on one of its own when the pool has none free within a second (all held: by runaway statements, when a limit set
    /// to protect the database is what they need) or the pooled one's statement is cancelled (a role's
    /// <c>statement_timeout</c> of a millisecond, set and reset: the pool's sessions keep it, a new one does not).
    /// </summary>
    private async Task<string[]> CatalogAsync()
    {
        try
        {
            NpgsqlConnection session;
            using (var wait = new CancellationTokenSource(TimeSpan.FromSeconds(1)))
            {
                session = await pool.OpenConnectionAsync(wait.Token);
            }

            // Handed back before any question of its own is asked (with one pooled session, requests wait for it).
            await using (session)
            {
                await using var ask = new NpgsqlCommand(SessionDefaults.Sql, session) { CommandTimeout = 4 };
                return (string[])(await ask.ExecuteScalarAsync())!;
            }
        }
        catch (Exception e) when (e is OperationCanceledException || PostgresError.In(e) is { SqlState: PostgresErrorCodes.QueryCanceled })
        {
        }

        return (string[])(await DataSources.AskAsync(connection.Value, SessionDefaults.Sql))!;
    }
}
