using Microsoft.Extensions.Logging;
using Npgsql;

namespace Provisioning.Infrastructure.Persistence;

/// <summary>
/// A database that was made read-only for the service's role or database (<c>ALTER ROLE … SET
/// default_transaction_read_only = on</c>, a DBA's maintenance) and then reset: PostgreSQL applies such a default when a
/// session logs in, and the pool's sessions — kept, never reset — went on refusing every write (25006) until Npgsql's idle
/// pruning replaced them, 4.5–5 minutes in a probe, and never under steady load; <c>/readyz</c> read the same stale value.
/// Whoever meets a session that says read-only asks a new one, outside the pool: when it takes writes, the pool's sessions
/// are the stale ones and are replaced (<see cref="NpgsqlDataSource.Clear"/>). At most once a second from requests, so that
/// a database read-only for good (a standby) is asked once a second, not once a refused write, and one question at a time
/// (5 s to connect and to answer). Not through a pooler in transaction mode: its server sessions keep theirs whatever this
/// pool does (its own <c>server_lifetime</c> decides), so the pooled session's word is taken.
/// </summary>
public sealed class StaleSessions(NpgsqlDataSource pool, DatabaseConnectionString connection, TimeProvider clock, ILogger<StaleSessions> logger)
{
    private static readonly TimeSpan Every = TimeSpan.FromSeconds(1);
    private long _askedAt = long.MinValue;
    private int _asking;

    /// <summary>
    /// A request's fault: when it is a write refused as read-only (25006), a new session is asked in the background (at
    /// most once a second) and the pool replaced if that one takes writes.
    /// </summary>
    public void Noticed(Exception exception)
    {
        var now = clock.GetTimestamp();
        var last = Interlocked.Read(ref _askedAt);
        if (connection.TransactionPooled || DatabaseUnavailable.ReadOnly(exception) is null
            || (last != long.MinValue && clock.GetElapsedTime(last, now) < Every)
            || Interlocked.CompareExchange(ref _askedAt, now, last) != last
            || Interlocked.Exchange(ref _asking, 1) == 1)
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await ReadOnlyOnANewSessionAsync(CancellationToken.None);
            }
            catch (Exception e)
            {
                // Only asked: a question that fails (the database away, the process stopping) changes nothing.
                logger.LogDebug("A new session could not be asked whether the database takes writes ({Reason})", Application.Common.Behaviors.FaultLog.Reason(e));
            }
            finally
            {
                Volatile.Write(ref _asking, 0);
            }
        });
    }

    /// <summary>
    /// Whether a new session, outside the pool, finds the database read-only too; when it does not, the pool's sessions are
    /// replaced (they took a read-only default at their login that is gone) and false is returned.
    /// </summary>
    public async Task<bool> ReadOnlyOnANewSessionAsync(CancellationToken cancellationToken)
    {
        if (connection.TransactionPooled)
        {
            return true;
        }

        var asking = new NpgsqlConnectionStringBuilder(connection.Value) { Timeout = 5, CommandTimeout = 5 }.ConnectionString;
        await using var session = DataSources.CreateUnpooledConnection(asking);
        await session.OpenAsync(cancellationToken);
        await using var ask = new NpgsqlCommand("SELECT pg_is_in_recovery() OR current_setting('transaction_read_only') = 'on'", session);
        if ((bool)(await ask.ExecuteScalarAsync(cancellationToken))!)
        {
            return true;
        }

        pool.Clear();
        logger.LogWarning(
            "The pool's sessions refused writes as read-only, but a new session takes them: the role's or database's " +
            "default_transaction_read_only was reset after they logged in. They are replaced");
        return false;
    }
}
