using Microsoft.Extensions.Logging;
using Npgsql;

namespace Provisioning.Infrastructure.Persistence;

/// <summary>
/// A database that was made read-only for the service's role or database (<c>ALTER ROLE … SET
/// default_transaction_read_only = on</c>, a DBA's maintenance) and then reset: PostgreSQL applies such a default when a
/// session logs in, and the pool's sessions — kept, never reset — went on refusing every write (25006) until Npgsql's idle
/// pruning replaced them, 4.5–5 minutes in a probe, and never under steady load; <c>/readyz</c> read the same stale value.
/// Whoever meets a session that says read-only asks a new one, outside the pool: when it takes writes, the pool's sessions
/// are the stale ones and are replaced (<see cref="NpgsqlDataSource.Clear"/>). At most once a second and one question at a
/// time (5 s to connect and to answer), so that a database read-only for good (a standby) is asked once a second, not once
/// a refused write. Not through a pooler in transaction mode: its server sessions keep theirs whatever this
/// pool does (its own <c>server_lifetime</c> decides), so the pooled session's word is taken.
/// </summary>
public sealed class StaleSessions(NpgsqlDataSource pool, DatabaseConnectionString connection, TimeProvider clock, ILogger<StaleSessions> logger)
{
    private static readonly TimeSpan Every = TimeSpan.FromSeconds(1);
    private readonly Lock _gate = new();
    private long _askedAt = long.MinValue;
    private Task<bool>? _asking;
    private bool _readOnly = true;

    /// <summary>
    /// A fault (a request's, a background write's): when it is a write refused as read-only (25006), a new session is asked
    /// in the background, and the pool replaced if that one takes writes.
    /// </summary>
    public void Noticed(Exception exception)
    {
        if (!connection.TransactionPooled && DatabaseUnavailable.ReadOnly(exception) is not null)
        {
            _ = ReadOnlyOnANewSessionAsync();
        }
    }

    /// <summary>
    /// Whether a new session, outside the pool, finds the database read-only too; when it does not, the pool's sessions are
    /// replaced (they took a read-only default at their login that is gone) and false is returned. One question at a time
    /// and at most one a second, for requests and <c>/readyz</c> together (the probe's /readyz asked besides, and both
    /// replaced the pool and said so for one reset): within the second, the last answer. A question that fails is said at
    /// Debug and changes nothing (true).
    /// </summary>
    public Task<bool> ReadOnlyOnANewSessionAsync()
    {
        if (connection.TransactionPooled)
        {
            return Task.FromResult(true);
        }

        lock (_gate)
        {
            if (_asking is { IsCompleted: false } asking)
            {
                return asking;
            }

            var now = clock.GetTimestamp();
            if (_askedAt != long.MinValue && clock.GetElapsedTime(_askedAt, now) < Every)
            {
                return Task.FromResult(_readOnly);
            }

            _askedAt = now;
            return _asking = AskAsync();
        }
    }

    private async Task<bool> AskAsync()
    {
        try
        {
            var readOnly = (bool)(await DataSources.AskAsync(connection.Value, "SELECT pg_is_in_recovery() OR current_setting('transaction_read_only') = 'on'"))!;
            if (!readOnly)
            {
                pool.Clear();
                logger.LogWarning(
                    "The pool's sessions refused writes as read-only, but a new session takes them: the role's or database's " +
                    "default_transaction_read_only was reset after they logged in. They are replaced");
            }

            return _readOnly = readOnly;
        }
        catch (Exception e)
        {
            // Only asked: a question that fails (the database away, the process stopping) changes nothing.
            logger.LogDebug("A new session could not be asked whether the database takes writes ({Reason})", Application.Common.Behaviors.FaultLog.Reason(e));
            return true;
        }
    }
}
