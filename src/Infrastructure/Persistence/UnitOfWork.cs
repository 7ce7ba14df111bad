using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Logging;
using Npgsql;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Logging;
using Provisioning.Application.Common.Exceptions;
using Provisioning.Application.Common.Security;
using Provisioning.Domain.Common;

namespace Provisioning.Infrastructure.Persistence;

/// <summary>
/// One transaction per command on the request's DbContext; after-commit actions run only once it has committed.
/// Keys the transaction removed (see <see cref="Credentials.Revocation"/>) leave this instance's credential cache as
/// soon as the commit returns, and every other instance's before the command returns
/// (<see cref="Credentials.RevocationBarrier"/>). Statements left in the <see cref="CommitTail"/> go to PostgreSQL with the COMMIT, and so
/// do <see cref="LeadingStatement"/>s that no command took. A leading statement's refusal (a taken Idempotency-Key, a
/// used-up budget, a suspended tenant), wherever in the transaction it surfaced, leaves as what it means
/// (<see cref="LeadingStatement.Refusals"/>), an <see cref="ExpectedException"/>.
/// <para>Each run first asks whether the caller's credential may still act (<see cref="Credential.IsUsableAt"/>, as
/// authentication does): a request is authenticated when its headers arrive, and its body may come minutes later, after
/// the key was deleted, disabled or expired or its tenant suspended — those revocations hold for a write by the time it
/// runs. From the cache, which a revocation clears on every instance before it is answered; outside the transaction, so
/// that a lookup in the database (a cache not trusted) holds no second connection of the pool. What this leaves (a
/// transaction's length) is in docs/authentication.md, "Revocation".</para>
/// </summary>
internal sealed class UnitOfWork(
    ProvisioningDbContext db, Credentials.CachedCredentialStore credentials, Credentials.RevocationBarrier barrier, CommitTail tail,
    Security.RetiredMasterKeyWatch retiredKeys, ICallerContext callers, TimeProvider clock, NpgsqlDataSource pool, DatabaseConnectionString pooled,
    ILogger<UnitOfWork> logger) : IUnitOfWork
{
    /// <summary>
    /// How long a commit whose connection was lost may take to find out whether it committed (<see cref="CommittedAfterAllAsync"/>):
    /// the old session's end, a new connection and one query.
    /// </summary>
    internal static readonly TimeSpan OutcomeWait = TimeSpan.FromSeconds(5);

    /// <summary>How many times a transaction PostgreSQL rolled back for a conflict (<see cref="TransientConflict"/>) is run.</summary>
    internal const int Attempts = 3;

    /// <summary>The warning of a commit whose wait for a synchronous standby was cancelled (<see cref="NoteUnreplicatedCommit"/>), in this run.</summary>
    private string? _unreplicated;

    /// <summary>
    /// Runs <paramref name="work"/> in a transaction of its own or, when one is open (a command inside an Idempotency-Key's
    /// transaction), in that one. A transaction PostgreSQL rolled back for a conflict with another (a deadlock, 40P01) is
    /// run again from the start, up to <see cref="Attempts"/> times in all: nothing of it was written, so the two requests
    /// end as if they had run one after the other. The work must therefore start from nothing each time (a command's
    /// handler does; the Idempotency-Key middleware rewinds the request and its buffered answer).
    /// </summary>
    public async Task<T> InTransactionAsync<T>(Func<CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        if (db.Database.CurrentTransaction is not null)
        {
            try
            {
                return await work(cancellationToken);
            }
            catch (Exception e) when (e is not ExpectedException && LeadingStatement.Refusals(e) is { } refusal)
            {
                throw refusal; // Said here, inside the pipeline, so it is not logged as a fault.
            }
            catch (Exception e) when (TransientConflict.Is(e))
            {
                FaultLog.MarkLogged(e); // Not a fault yet: the transaction's owner runs it again (and logs it if it gives up).
                throw;
            }
        }

        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await RunAsync(work, cancellationToken);
            }
            catch (Exception e) when (TransientConflict.Is(e) && !cancellationToken.IsCancellationRequested)
            {
                if (attempt >= Attempts)
                {
                    logger.LogError(e, "Transaction rolled back by PostgreSQL for a conflict with another, {Attempts} times; given up", Attempts);
                    FaultLog.MarkLogged(e);
                    throw;
                }

                logger.LogWarning("Transaction rolled back by PostgreSQL for a conflict with another ({SqlState}); running it again",
                    TransientConflict.Find(e)!.SqlState);
                // A moment apart, so that two transactions that met once do not meet again in step.
                await Task.Delay(Random.Shared.Next(5, 50), cancellationToken);
            }
        }
    }

    private async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        await EnsureTheCallerMayStillActAsync(cancellationToken);
        try
        {
            return await RunOnceAsync(work, cancellationToken);
        }
        catch (Exception e) when (callers.Current is not null && IsNotFound(e))
        {
            // Rolled back. A 404 may be for a row this request counted on that went meanwhile — and if the caller's own
            // key went with it (its service account, app or tenant deleted), the answer is authentication's (401), not a
            // 404 for what the caller never named. Asked of the database, on every 404 of a change (one lookup by key,
            // on a failure): this instance may not have heard of the deletion yet, and no 404 site has to remember it.
            await EnsureTheCallerMayStillActAsync(cancellationToken, fromDatabase: true);
            throw;
        }
    }

    // Directly, or inside the Idempotency-Key middleware's wrapper of an error answer it keeps (StoredError).
    private static bool IsNotFound(Exception e) => e is NotFoundException || e.InnerException is NotFoundException;

    private async Task<T> RunOnceAsync<T>(Func<CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        T result = default!;
        string? revoked = null;
        CommitProof? proof = null;
        int? committingSession = null;
        db.MayHaveRevokedCredentials = false;
        _unreplicated = null;
        db.TakeLeading();
        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            try
            {
                result = await work(cancellationToken);
                if (db.MayHaveRevokedCredentials)
                {
                    revoked = await db.Database
                        .SqlQuery<string>($"SELECT coalesce(current_setting({Credentials.Revocation.RevokedSetting}, true), '') AS \"Value\"")
                        .SingleAsync(cancellationToken);
                }

                (var last, proof) = tail.Take();
                if (db.TakeLeading() is { } leading)
                {
                    (last ??= []).InsertRange(0, leading.Select(l => l.ToBatchCommand()));
                }

                var connection = (NpgsqlConnection)db.Database.GetDbConnection();
                committingSession = connection.ProcessID;
                connection.Notice += NoteUnreplicatedCommit;
                try
                {
                    if (last is not null)
                    {
                        await CommitWithAsync(transaction, last, cancellationToken);
                    }
                    else
                    {
                        await transaction.CommitAsync(cancellationToken);
                    }
                }
                finally
                {
                    connection.Notice -= NoteUnreplicatedCommit;
                }
            }
            catch (Exception e)
            {
                tail.Take();
                db.TakeLeading();
                // Nothing half-written: roll back and forget whatever the context was tracking.
                db.ChangeTracker.Clear();
                if (committingSession is not { } session || proof is null || !OutcomeUnknown(e)
                    || !await CommittedAfterAllAsync(proof, session, e, cancellationToken))
                {
                    retiredKeys.NoteFailedWrite(e);
                    if (e is not ExpectedException && LeadingStatement.Refusals(e) is { } refusal)
                    {
                        throw refusal;
                    }

                    throw;
                }

                // Made, whole: answered as such, not with a 503 for a change that a retry without a key would make twice.
            }
        }

        credentials.Revoke(revoked);
        if (!string.IsNullOrEmpty(revoked))
        {
            // Not answered before every other instance has dropped them too.
            await barrier.WaitForEveryInstanceAsync(db, cancellationToken);
        }

        if (_unreplicated is { } notice)
        {
            // Made: answered as such, as PostgreSQL answered the commit (a 503 would have a create without a key made twice,
            // and a new key's secret, shown once, lost). What is not as asked is said, for the operator to act on.
            _unreplicated = null;
            logger.LogError(
                "A change committed on the primary, but PostgreSQL's wait for its synchronous standby was cancelled (the command " +
                "timeout, or the client leaving): \"{Notice}\". It is answered as made and stands on the primary alone until a standby " +
                "has it: a failover before then loses it. Check the standbys of synchronous_standby_names (pg_stat_replication); " +
                "name two (ANY 1 (…)) so that one may be away (docs/operations.md, \"Failover to a standby\")", notice);
        }

        return result;
    }

    /// <summary>
    /// The server function that warns that a commit's wait for a synchronous standby was cancelled (a cancel request came
    /// while it waited: the command timeout's, or the request's) and the commit kept on the primary alone. Known by it, not
    /// by the warning's text, which the server may translate.
    /// </summary>
    internal const string SynchronousStandbyWait = "SyncRepWaitForLSN";

    private void NoteUnreplicatedCommit(object sender, NpgsqlNoticeEventArgs e)
    {
        if (e.Notice.Routine == SynchronousStandbyWait)
        {
            _unreplicated = e.Notice.MessageText;
        }
    }

    /// <summary>Refuses the work as authentication would now: 401 for a key gone, disabled or expired; 403 for a suspended tenant.</summary>
    private async Task EnsureTheCallerMayStillActAsync(CancellationToken cancellationToken, bool fromDatabase = false)
    {
        if (callers.Current is not { } caller)
        {
            return;
        }

        var credential = fromDatabase
            ? await credentials.FindInDatabaseAsync(caller.KeyId, cancellationToken)
            : await credentials.FindAsync(caller.KeyId, cancellationToken);
        try
        {
            if (credential is not null && credential.IsUsableAt(clock.GetUtcNow()))
            {
                return;
            }
        }
        catch (Domain.Tenants.TenantSuspendedException)
        {
            RevokedWhileUnderWay(caller, fromDatabase, "its tenant or an ancestor was suspended");
            throw;
        }

        RevokedWhileUnderWay(caller, fromDatabase, "it was deleted, disabled or has expired");
        throw new UnauthorizedException();
    }

    /// <summary>
    /// A key found revoked while its request was under way (a slow body): worth a line for whoever is cleaning up after a
    /// leak. Read past the cache, what the cache may still hold goes too.
    /// </summary>
    private void RevokedWhileUnderWay(Caller caller, bool fromDatabase, string why)
    {
        if (fromDatabase)
        {
            credentials.Evict(caller.KeyId);
        }

        logger.LogWarning("A change by key {KeyId} was refused: {Why} while its request was under way", caller.KeyId.Value, why);
    }

    /// <summary>
    /// A failure of the <c>COMMIT</c>'s round trip that may have come after PostgreSQL committed: the connection lost (a
    /// network cut, the server's or an administrator's end of the session while it committed, a read that timed out and
    /// broke it). Not an error PostgreSQL reported for a statement (then it skipped the <c>COMMIT</c>), nor anything on a
    /// connection still open (the server answered: a cancelled statement's 57014 is a rollback). Npgsql's loss of the
    /// protocol's sync is such a loss too (<see cref="DatabaseUnavailable.LostProtocolSync"/>: it breaks the connection).
    /// </summary>
    private bool OutcomeUnknown(Exception e) =>
        (e is PostgresException postgres ? postgres.InvariantSeverity is "FATAL" or "PANIC" : e is NpgsqlException || DatabaseUnavailable.LostProtocolSync(e))
        && ((NpgsqlConnection)db.Database.GetDbConnection()).FullState is var state
        && (state.HasFlag(System.Data.ConnectionState.Broken) || state == System.Data.ConnectionState.Closed);

    /// <summary>
    /// Whether the transaction whose connection was lost as it committed did commit, asked on new connections until
    /// <see cref="OutcomeWait"/>: the row of <paramref name="proof"/> there is the answer yes at once (no transaction shows
    /// a row before it has committed); its absence is the answer no only once the transaction's session
    /// (<paramref name="session"/>, the server's process) has ended — a session still committing shows nothing yet, and a
    /// network cut leaves one waiting for its keepalive. Through a pooler in transaction mode the server's process is not
    /// known, and absence is taken at once. False when it cannot be learnt in time (the database gone too, a session that
    /// outlives the wait): the 503 then stands, as it did for every such loss before (a probe: 8 of 27 such 503s had
    /// committed). Never throws: the original failure is the one the caller reports.
    /// </summary>
    private async Task<bool> CommittedAfterAllAsync(CommitProof proof, int session, Exception lost, CancellationToken cancellationToken)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(OutcomeWait);
        try
        {
            while (true)
            {
                try
                {
                    await using var connection = await pool.OpenConnectionAsync(wait.Token);
                    if (await proof.HoldsAsync(connection, wait.Token))
                    {
                        logger.LogWarning(
                            "The connection to PostgreSQL was lost as a change committed ({Error}); the database shows that it committed: answered as made",
                            FaultLog.Reason(lost));
                        return true;
                    }

                    if (pooled.TransactionPooled || await SessionEndedAsync(connection, session, wait.Token))
                    {
                        // Ended without the row: rolled back (a session aborts its transaction before it leaves the list).
                        return await proof.HoldsAsync(connection, wait.Token);
                    }
                }
                catch (NpgsqlException e)
                {
                    // A pooled connection the same outage broke, or the server not back yet: asked again until the wait ends.
                    logger.LogDebug("Whether a change whose connection was lost committed: not learnt yet ({Error})", e.GetType().Name);
                }

                await Task.Delay(100, wait.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException)
        {
            // The one 503 that may stand for a change made: said apart, so that an operator knows which to look up (a probe).
            logger.LogWarning(
                "The connection to PostgreSQL was lost as a change committed ({Error}), and whether it committed could not be " +
                "learnt within {Wait}: it is answered 503, and may have been made (its audit event, by the request id, says; or its answer stored under its Idempotency-Key)",
                FaultLog.Reason(lost), OutcomeWait);
            return false;
        }
    }

    private static async Task<bool> SessionEndedAsync(NpgsqlConnection connection, int session, CancellationToken cancellationToken)
    {
        await using var ended = new NpgsqlCommand("SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1)", connection)
        {
            Parameters = { new() { Value = session } },
        };
        return (bool)(await ended.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>
    /// The statements and the COMMIT in one batch. Npgsql then sees the connection outside a transaction, so disposing
    /// the transaction object sends nothing; on an error PostgreSQL has skipped the COMMIT and the dispose rolls back.
    /// </summary>
    private async Task CommitWithAsync(IDbContextTransaction transaction, List<NpgsqlBatchCommand> statements, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch((NpgsqlConnection)db.Database.GetDbConnection(), (NpgsqlTransaction)transaction.GetDbTransaction());
        db.FollowCommandTimeout(batch);
        foreach (var statement in statements)
        {
            batch.BatchCommands.Add(statement);
        }

        batch.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }
}
