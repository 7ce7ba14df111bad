using Microsoft.Extensions.Logging;
using Provisioning.Application.Common.Logging;

namespace Provisioning.Infrastructure.Persistence;

/// <summary>
/// Requests that time out waiting for the database, said with who holds the locks sessions wait for: while a DBA's
/// <c>LOCK TABLE apps</c> held every pooled session for 45 s, the log said only "Timeout during reading attempt" and
/// "The operation has timed out" — a network problem, by the look of it — and named neither the lock nor its holder (a
/// probe). At most once a minute, asked in the background on a session outside the pool (the pool's are the ones
/// waiting); a question that fails says nothing.
/// </summary>
public sealed class LockWaits(DatabaseConnectionString connection, TimeProvider clock, ILogger<LockWaits> logger) : IDisposable
{
    private readonly OnceEvery _said = new(clock);
    private volatile bool _disposing;

    /// <summary>
    /// The sessions whose locks others in this database wait for, oldest transaction first, at most five. Another role's
    /// transaction start is hidden from a role without <c>pg_read_all_stats</c> (a DBA's, most often): then no age is said.
    /// </summary>
    private static readonly string HoldersSql = $"""
        SELECT coalesce(string_agg({LockHolders.Named("h.pid", "h.application_name")}
                                   || CASE WHEN h.xact_start IS NULL THEN ''
                                           ELSE format(', its transaction open %s s', floor(extract(epoch FROM now() - h.xact_start))) END,
                                   '; ' ORDER BY h.xact_start NULLS LAST), '')
        FROM (SELECT * FROM pg_stat_activity
              WHERE pid IN (SELECT unnest(pg_blocking_pids(w.pid)) FROM pg_stat_activity w
                            WHERE w.datname = current_database() AND w.wait_event_type = 'Lock')
              ORDER BY xact_start NULLS LAST LIMIT 5) AS h
        """;

    /// <summary>A request's fault: when it is a wait given up (Npgsql's timeout or the server's), who holds what others wait for is said.</summary>
    public void Noticed(Exception exception)
    {
        if (DatabaseFailure.Of(exception) is { Kind: DatabaseFailureKind.TimedOut or DatabaseFailureKind.ServerTimedOut })
        {
            _said.Say(Say);
        }
    }

    /// <summary>
    /// The holders, asked as the line is said (in the background; for those held back, a minute after the first): the count
    /// is said without them when no session waits for a lock by then (the waits were a slow database, or the lock is gone).
    /// </summary>
    private void Say(long count, DateTimeOffset since)
    {
        if (_disposing)
        {
            SayWithoutHolders(count, since); // the process stopping: no question it would wait for
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                if (await DataSources.AskAsync(connection.Value, HoldersSql) is string { Length: > 0 } holders)
                {
                    logger.LogWarning(
                        "{Count} request(s) since {Since:u} gave up waiting for the database, while sessions wait for locks held by {Holders}: " +
                        "end that transaction, or its session (SELECT pg_terminate_backend(<process>)), if it is not the service's own " +
                        "(docs/operations.md \"Requests wait for a lock\")", count, since, holders);
                }
                else
                {
                    SayWithoutHolders(count, since);
                }
            }
            catch (Exception e)
            {
                // Only asked: a question that fails (the database away, the process stopping) says nothing.
                logger.LogDebug("Who holds the locks requests wait for could not be asked ({Reason})", Application.Common.Logging.FaultLog.Reason(e));
                SayWithoutHolders(count, since);
            }
        });
    }

    private void SayWithoutHolders(long count, DateTimeOffset since) => logger.LogWarning(
        "{Count} request(s) since {Since:u} gave up waiting for the database; no session is named as holding a lock they wait " +
        "for now (a lock since released, a database too slow to answer or away: docs/operations.md \"Requests wait for a lock\")",
        count, since);

    /// <summary>Says the waits held back (a restart within their minute).</summary>
    public void Dispose()
    {
        _disposing = true;
        _said.Dispose();
    }
}
