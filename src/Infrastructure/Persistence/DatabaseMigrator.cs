using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Provisioning.Infrastructure.Persistence;

/// <summary>
/// Applies the migrations at start and in the <c>migrate</c> verb, one process at a time (an advisory lock held for all of
/// them), and answers whether any are pending (a start that does not migrate). Who it waits for, and what a migration waits
/// for, it says; a conflict PostgreSQL rolls back is applied again.
/// </summary>
public static class DatabaseMigrator
{
    /// <summary>Whether migrations are pending (<see cref="PendingMigrationsAsync"/>).</summary>
    public static async Task<bool> HasPendingMigrationsAsync(this IServiceProvider services, CancellationToken cancellationToken = default) =>
        (await services.PendingMigrationsAsync(cancellationToken)).Count > 0;

    /// <summary>
    /// This build's migrations the database has not applied, oldest first (a database a newer version migrated is named in a
    /// Warning, as when migrating). While another process migrates, the answer is the one it leaves: this waits for it, as a
    /// start that migrates does.
    /// </summary>
    public static async Task<IReadOnlyList<string>> PendingMigrationsAsync(this IServiceProvider services, CancellationToken cancellationToken = default)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ProvisioningDbContext>();
        var logger = MigrationsLogger(scope.ServiceProvider);
        await EnsureDatabaseExistsAsync(db, cancellationToken);
        if (await MigrationHistory.ReadUnlessMigratingAsync(db, cancellationToken) is not { } state)
        {
            await using (await WaitForMigrationsAsync(scope.ServiceProvider, logger, cancellationToken))
            {
                state = await ReadHistoryWhenFreeAsync(db, logger, cancellationToken);
            }
        }

        Report(state, logger);
        return state.Pending;
    }

    private static ILogger MigrationsLogger(IServiceProvider services) =>
        services.GetRequiredService<ILoggerFactory>().CreateLogger("Provisioning.Migrations");

    /// <summary>
    /// Names in a Warning the applied migrations this build does not have.
    /// A newer version migrated such a database (an upgrade rolled back, or an old instance restarted mid-rollout). Not
    /// refused: migrations are additive, so an older build runs on a newer schema, which a rolling upgrade relies on; but
    /// the operator is told (docs/operations.md, "Upgrading").
    /// </summary>
    private static void Report(MigrationHistory.State state, ILogger logger)
    {
        if (state.Unknown.Count > 0)
        {
            logger.LogWarning(
                "The database has {Count} migration(s) this build does not have ({Migrations}): a newer version migrated it. " +
                "This build runs on it while those migrations only added to the schema; run the newer version, or restore the " +
                "backup taken before the upgrade, to go back for good", state.Unknown.Count, string.Join(", ", state.Unknown));
        }
    }

    /// <summary>
    /// The history once no session holds its table: after a migrating process's lock was had, a session that holds the table
    /// without it (a killed <c>migrate</c>'s, still waiting for a lock; one of the operator's) is waited for too, and named.
    /// </summary>
    private static Task<MigrationHistory.State> ReadHistoryWhenFreeAsync(ProvisioningDbContext db, ILogger logger, CancellationToken cancellationToken) =>
        MigrationHistory.ReadWhenFreeAsync(db,
            holder => logger.LogInformation("Waiting for the migrations' history table, which {Holder} holds", holder), cancellationToken);

    /// <summary>
    /// The lock a migrating process holds for all of its migrations, once it is free; says, once, that it waits and for whom
    /// (a session that holds it without end — a stuck <c>migrate</c> — is then found in <c>pg_stat_activity</c> by that name).
    /// </summary>
    private static Task<SessionLock> WaitForMigrationsAsync(IServiceProvider services, ILogger logger, CancellationToken cancellationToken) =>
        SessionLock.TakeAsync(
            services.GetRequiredService<SessionConnectionString>().Value, MigrationLock,
            holder => logger.LogInformation("Waiting for another process's migrations to finish (the lock is held by {Holder})", holder),
            cancellationToken);

    /// <summary>
    /// Connects once, so that a database that does not exist is PostgreSQL's 3D000 (explained at start-up) instead of
    /// one EF Core's migrations would create: a misspelt name in the connection string must not start an empty service
    /// with a new root tenant. Databases are created by whoever installs the service (scripts/run, compose, the DBA).
    /// And one whose encoding is not UTF-8 is refused before any migration writes to it (<see cref="UnsuitableDatabaseException"/>):
    /// the server says its encoding as the session starts (<c>server_encoding</c>), so asking costs no round trip.
    /// </summary>
    private static async Task EnsureDatabaseExistsAsync(ProvisioningDbContext db, CancellationToken cancellationToken)
    {
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            var connection = (Npgsql.NpgsqlConnection)db.Database.GetDbConnection();
            if (connection.PostgresParameters.TryGetValue("server_encoding", out var encoding) && encoding != "UTF8")
            {
                throw new UnsuitableDatabaseException(
                    $"The database {connection.Database} is encoded {encoding}, and the service keeps Unicode text (names, settings, " +
                    "addresses) in it: it needs a UTF8 database. This start wrote nothing to it. Create one with CREATE DATABASE " +
                    "<name> ENCODING 'UTF8' TEMPLATE template0 (with a UTF-8 locale, or LC_COLLATE 'C' LC_CTYPE 'C.UTF-8') and set " +
                    "ConnectionStrings:Provisioning to it (docs/operations.md, \"Running\").");
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>Applies pending migrations.</summary>
    public static async Task MigrateDatabaseAsync(this IServiceProvider services, CancellationToken cancellationToken = default)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ProvisioningDbContext>();
        var logger = MigrationsLogger(scope.ServiceProvider);
        await EnsureDatabaseExistsAsync(db, cancellationToken);
        // Nothing pending: no lock to take. A history another process holds: a migration is running, waited for below.
        var first = await MigrationHistory.ReadUnlessMigratingAsync(db, cancellationToken);
        if (first is not null)
        {
            Report(first, logger);
            if (first.Pending.Count == 0)
            {
                return;
            }
        }

        // One process migrates at a time, all of its migrations under one lock of ours (two processes starting on an empty
        // database once both applied the first ones, one then failing on "column … already exists"). Whoever waited for it
        // finds them applied and does nothing.
        await using (var migrating = await WaitForMigrationsAsync(scope.ServiceProvider, logger, cancellationToken))
        {
            var state = await ReadHistoryWhenFreeAsync(db, logger, cancellationToken);
            if (first is null)
            {
                Report(state, logger);
            }

            var pending = state.Pending;
            if (pending.Count > 0)
            {
                logger.LogInformation("Applying {Count} migration(s): {Migrations}", pending.Count, string.Join(", ", pending));

                // No command timeout: a migration (an index built over a large table) may take longer than Npgsql's 30 s,
                // and cut short it would fail every start the same way.
                db.Database.SetCommandTimeout(TimeSpan.Zero);
                await db.Database.OpenConnectionAsync(cancellationToken); // (the session EF migrates on: watched below)
                using var watching = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var watch = Task.CompletedTask;
                try
                {
                    // The server's own process id, asked: behind PgBouncer the connection's ProcessID is one PgBouncer made up
                    // (a probe), and the watch then never found what the migrations wait for. Not through a pooler in
                    // transaction mode: the next transaction's server session may be another, whose waits it would name.
                    if (!scope.ServiceProvider.GetRequiredService<DatabaseConnectionString>().TransactionPooled)
                    {
                        await using var backend = new Npgsql.NpgsqlCommand("SELECT pg_backend_pid()", (Npgsql.NpgsqlConnection)db.Database.GetDbConnection());
                        var session = (int)(await backend.ExecuteScalarAsync(cancellationToken))!;
                        watch = SayWhatMigrationsWaitForAsync(scope.ServiceProvider.GetRequiredService<Npgsql.NpgsqlDataSource>(), session, logger, watching.Token);
                    }

                    await MigrateRetryingConflictsAsync(db, logger, cancellationToken);
                }
                finally
                {
                    await watching.CancelAsync();
                    await watch;
                    // Closed by hand, as it was opened: a context goes back to its pool with the connection as it is, and the
                    // next request's would have run on this session of the old defaults (a test of the revocation barrier,
                    // whose connection interceptor never saw an open, found it).
                    await db.Database.CloseConnectionAsync();
                }
            }
            else if (!migrating.Waited)
            {
                return;
            }
        }

        // Connections opened before the migrations (this process's or the one it waited for) keep the session defaults
        // they started with (a migration may change the role's, as CustomPlansForThisRole and TenantSpreadForGenericPlans
        // do): the pool starts afresh.
        scope.ServiceProvider.GetRequiredService<Npgsql.NpgsqlDataSource>().Clear();
    }

    /// <summary>How many times the migrations are applied when PostgreSQL rolls one back as a conflict (<see cref="MigrateRetryingConflictsAsync"/>).</summary>
    private const int MigrationAttempts = 5;

    /// <summary>
    /// Applies the pending migrations; one that PostgreSQL rolled back as a conflict (a deadlock with sessions that lock the
    /// tables it changes in another order, chosen as the one to fail) is applied again, as PostgreSQL's documentation
    /// prescribes, up to <see cref="MigrationAttempts"/> times, 1, 2, 3 and 4 s apart: each migration commits on its own, so
    /// what is applied again is the one rolled back and those after it. Before, the start or <c>migrate</c> failed and an
    /// operator had to run it again. (How a migration that changes rows the requests write avoids deadlocks in the first
    /// place: docs/architecture.md, "A new migration".)
    /// </summary>
    private static async Task MigrateRetryingConflictsAsync(ProvisioningDbContext db, ILogger logger, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await db.Database.MigrateAsync(cancellationToken);
                return;
            }
            catch (Exception e) when (attempt < MigrationAttempts && TransientConflict.Find(e) is { } conflict)
            {
                logger.LogWarning(
                    "PostgreSQL rolled a migration back as a conflict with another session ({SqlState}: {Reason}); the migrations " +
                    "before it are in, the rest are applied again in {Pause} s (attempt {Next} of {Attempts})",
                    conflict.SqlState, conflict.MessageText, attempt, attempt + 1, MigrationAttempts);
                // A pause that grows, so that what the other side was doing can finish (at once, an upgrade probe's five
                // attempts met the same stream of deletions within 8 s).
                await Task.Delay(TimeSpan.FromSeconds(attempt), cancellationToken);
            }
            catch (Exception e) when (DatabaseFailure.Of(e) is null && PostgresError.In(e) is { } refused && !cancellationToken.IsCancellationRequested)
            {
                // Each migration commits on its own: the one refused is the first this database still lacks.
                string? failed = null;
                try
                {
                    var applied = (await db.Database.GetAppliedMigrationsAsync(cancellationToken)).ToHashSet(StringComparer.Ordinal);
                    failed = db.Database.GetMigrations().FirstOrDefault(migration => !applied.Contains(migration));
                }
                catch (Exception) when (!cancellationToken.IsCancellationRequested)
                {
                    // Not known then; the sentence says so.
                }

                // What it says of the cause by the error's class: a rule the rows there break (integrity, data, a check the
                // migration raises), or a schema not as the migrations left it.
                var why = refused.SqlState[..2] is "22" or "23" or "P0"
                    ? "Rows there break a rule the migration sets or checks (PostgreSQL's error names it): correct them, then run migrate again"
                    : "The database's schema is not what this build's migrations expect there: changed by hand or by another build, or a " +
                      "migration's row deleted from __EFMigrationsHistory. Restore the schema (or the row) as it was, then run migrate again";
                throw new MigrationFailedException(
                    $"PostgreSQL refused the migration {failed ?? "being applied"} ({refused.SqlState}: {Application.Common.Logging.FaultLog.FirstLine(refused.MessageText).TrimEnd('.')}); it was rolled back, " +
                    $"and the migrations before it are in. {why} (docs/operations.md, \"Upgrading\").", e);
            }
        }
    }

    /// <summary>
    /// While migrations run, who they wait for, said when it changes (every 5 s at most): a migration that waits for a table
    /// another session holds (a <c>delete-tenant</c>, an open <c>psql</c>, a <c>pg_dump</c>) said nothing but "Applying …"
    /// for minutes, which looked like a hang (a probe). Only said: a failure of the question ends the watch, not the migrations.
    /// </summary>
    private static async Task SayWhatMigrationsWaitForAsync(Npgsql.NpgsqlDataSource pool, int migrating, ILogger logger, CancellationToken cancellationToken)
    {
        var said = string.Empty;
        try
        {
            while (true)
            {
                await Task.Delay(TimeSpan.FromSeconds(5), cancellationToken);
                await using var connection = await pool.OpenConnectionAsync(cancellationToken);
                await using var command = new Npgsql.NpgsqlCommand(LockHolders.BlockingSql, connection) { Parameters = { new() { Value = migrating } } };
                var holders = (string?)await command.ExecuteScalarAsync(cancellationToken) ?? string.Empty;
                if (holders.Length > 0 && holders != said)
                {
                    logger.LogWarning(
                        "The migrations wait for a lock held by {Holders}: they go on once it is released (a transaction that ends, or " +
                        "a session ended with pg_terminate_backend)", holders);
                }

                said = holders;
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException)
        {
            logger.LogDebug("The migrations' wait is no longer watched ({Error})", e.GetType().Name);
        }
    }

    /// <summary>Advisory lock key a migrating process holds for all of its migrations.</summary>
    private const long MigrationLock = 0x5052_4F56_4D49_4752; // "PROVMIGR"
}
