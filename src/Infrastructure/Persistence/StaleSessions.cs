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
/// a database read-only for good (a standby) is asked once a second, not once a refused write. (Through a pooler in
/// transaction mode its server sessions keep theirs: its own <c>server_lifetime</c> decides.)
/// </summary>
public sealed class StaleSessions(NpgsqlDataSource pool, DatabaseConnectionString connection, TimeProvider clock, ILogger<StaleSessions> logger)
{
    private static readonly TimeSpan Every = TimeSpan.FromSeconds(1);
    private long _askedAt = long.MinValue;

    /// <summary>
    /// A request's fault: when it is a write refused as read-only (25006), a new session is asked in the background (at
    /// most once a second) and the pool replaced if that one takes writes.
    /// </summary>
    public void Noticed(Exception exception)
    {
        var now = clock.GetTimestamp();
        var last = Interlocked.Read(ref _askedAt);
        if (PostgresError.In(exception) is not { SqlState: PostgresErrorCodes.ReadOnlySqlTransaction }
            || (last != long.MinValue && clock.GetElapsedTime(last, now) < Every)
            || Interlocked.CompareExchange(ref _askedAt, now, last) != last)
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await ReadOnlyOnANewSessionAsync(CancellationToken.None);
            }
            catch (Exception e) when (DatabaseUnavailable.Is(e))
            {
                logger.LogDebug("A new session could not be asked whether the database takes writes ({Reason})", Application.Common.Behaviors.FaultLog.Reason(e));
            }
        });
    }

    /// <summary>
    /// Whether a new session, outside the pool, finds the database read-only too; when it does not, the pool's sessions are
    /// replaced (they took a read-only default at their login that is gone) and false is returned.
    /// </summary>
    public async Task<bool> ReadOnlyOnANewSessionAsync(CancellationToken cancellationToken)
    {
        await using var session = DataSources.CreateUnpooledConnection(connection.Value);
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
