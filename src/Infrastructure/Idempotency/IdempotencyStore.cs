using System.Text;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Exceptions;
using Provisioning.Infrastructure.Persistence;

namespace Provisioning.Infrastructure.Idempotency;

/// <summary>
/// Idempotency records in PostgreSQL. The claim costs no round trip of its own: it is a <see cref="LeadingStatement"/>,
/// <c>CALL idempotency_claim(…)</c> (migration <c>ClaimWithTheFirstStatement</c>), sent in front of the transaction's
/// first statement — or, when that is a save (whose results EF reads by statement position, so nothing can go in front
/// of them), in a round trip of its own just before it. It takes a transaction-scoped advisory lock on the
/// (credential, key) pair — held by the running request until it commits or rolls back — and then, in a query of its
/// own (so its snapshot is taken after the lock), looks for a stored answer. If the lock is held it fails with
/// <see cref="InProgressState"/>, if an answer is stored with <see cref="AnsweredState"/>; either way PostgreSQL runs
/// nothing more of the transaction, which rolls back, and the unit of work turns the failure into
/// <see cref="IdempotencyKeyTakenException"/> (<see cref="Refusal"/>).
/// </summary>
internal sealed class IdempotencyStore(
    ProvisioningDbContext db, CommitTail commitTail, ISecretProtector protector, Security.RetiredMasterKeyWatch retiredKeys)
    : IIdempotencyStore
{
    /// <summary>Separates this lock space from other advisory locks (hashtextextended's seed).</summary>
    private const long LockSeed = 0x1d3e_7a11;

    /// <summary>What <c>idempotency_claim</c> raises when another request holds the key.</summary>
    public const string InProgressState = "PX409";

    /// <summary>What <c>idempotency_claim</c> raises when an answer is stored under the key.</summary>
    public const string AnsweredState = "PX200";

    /// <summary>
    /// Takes the transaction-scoped lock of a (credential, key) pair if it is free; true when taken. The SQL expression,
    /// with the positions of its parameters (credential, key, <see cref="LockSeed"/>) in the statement it is used in.
    /// </summary>
    private static string TryLock(int scope, int key, int seed) =>
        $"pg_try_advisory_xact_lock(hashtextextended(${scope} || chr(31) || ${key}, ${seed}))";

    // Stamped by the database's clock, as the retention pruner's cutoff is (RetentionPruner): an instance whose clock is
    // off does not shorten the time a retry is honoured (a probe: one an hour slow had answers pruned at 23 hours). The
    // time of the statement, not of the transaction's start (now()): the answer is kept its hours from about when it is sent.
    private const string Insert =
        "INSERT INTO idempotency_records (scope, key, fingerprint, status, content_type, location, protected_body, created_at) ";

    private const string SaveSql = Insert + "VALUES ($1, $2, $3, $4, $5, $6, $7, clock_timestamp())";

    private const string ClaimSql = "CALL idempotency_claim(@idempotency_scope, @idempotency_key, @idempotency_seed)";

    /// <summary>
    /// The stored answer if any, and whether another transaction holds the key (the lock taken and given back at once when
    /// free: a statement of its own), in one row.
    /// </summary>
    private static readonly string FindSql =
        "SELECT r.fingerprint, r.status, r.content_type, r.location, r.protected_body, " +
        $"r.scope IS NULL AND NOT {TryLock(1, 2, 3)} AS held " +
        "FROM (SELECT 1) AS one LEFT JOIN idempotency_records AS r ON r.scope = $1 AND r.key = $2";

    private static readonly string SaveUnlessClaimedSql =
        Insert + $"SELECT $1, $2, $3, $4, $5, $6, $7, clock_timestamp() WHERE {TryLock(1, 2, 8)} ON CONFLICT DO NOTHING";

    public void Claim(IdempotentRequest request)
    {
        db.Lead(new LeadingStatement(
            ClaimSql, ("idempotency_scope", request.Scope), ("idempotency_key", request.Key), ("idempotency_seed", LockSeed)));
    }

    /// <summary>The refusal of a claim anywhere in <paramref name="exception"/>'s chain (EF wraps what a save sends), or null.</summary>
    public static IdempotencyKeyTakenException? Refusal(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is IdempotencyKeyTakenException taken)
            {
                return taken;
            }
        }

        return PostgresError.In(exception) is { SqlState: InProgressState or AnsweredState } ? new IdempotencyKeyTakenException() : null;
    }

    public async Task<(IdempotencyClaim Claim, StoredAnswer? Answer)> FindAsync(IdempotentRequest request, CancellationToken cancellationToken)
    {
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var command = new NpgsqlCommand(FindSql, (NpgsqlConnection)db.Database.GetDbConnection())
            {
                Parameters = { new() { Value = request.Scope }, new() { Value = request.Key }, new() { Value = LockSeed } },
            };
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken); // (always one row)
            if (reader.IsDBNull(0))
            {
                // Nothing stored: held by a request that has not committed, or by no one (its request rolled back, its answer
                // pruned, or none ever ran).
                return (reader.GetBoolean(5) ? IdempotencyClaim.InProgress : IdempotencyClaim.Run, null);
            }

            var fingerprint = (byte[])reader[0];
            if (!fingerprint.AsSpan().SequenceEqual(request.Fingerprint))
            {
                return (IdempotencyClaim.Reused, null);
            }

            var body = protector.Unprotect((byte[])reader[4], SecretBinding.OfStoredAnswer(request.Scope, request.Key));
            var answer = new StoredAnswer(
                reader.GetInt32(1),
                reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3),
                Encoding.UTF8.GetBytes(body));
            return (IdempotencyClaim.Replay, answer);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>
    /// Sent with the COMMIT (<see cref="CommitTail"/>): the answer commits with the effect, in no extra round trip. Its row
    /// proves the commit when the connection is lost at it: a change that changes nothing writes no audit event, and was
    /// answered 503 while its answer was stored (a probe: a retry then replayed a 200 the client had never been given).
    /// The stored bytes are this transaction's alone (encrypted under a fresh nonce): a retry's row proves nothing of it.
    /// </summary>
    public Task SaveAsync(IdempotentRequest request, StoredAnswer answer, CancellationToken cancellationToken)
    {
        var statement = new NpgsqlBatchCommand(SaveSql);
        var stored = Protect(request, answer);
        statement.Parameters.AddRange(Parameters(request, answer, stored));
        commitTail.Add(statement);
        commitTail.Prove(new CommitProof(ProofSql, () =>
            [new() { Value = request.Scope }, new() { Value = request.Key }, new() { Value = stored }]));
        return Task.CompletedTask;
    }

    private const string ProofSql = "SELECT EXISTS (SELECT 1 FROM idempotency_records WHERE scope = $1 AND key = $2 AND protected_body = $3)";

    public async Task<bool> SaveAfterRollbackAsync(IdempotentRequest request, StoredAnswer answer, CancellationToken cancellationToken)
    {
        // One statement, so its own transaction: the lock is taken (if free) and held until it commits.
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var command = new NpgsqlCommand(
                SaveUnlessClaimedSql,
                (NpgsqlConnection)db.Database.GetDbConnection());
            command.Parameters.AddRange(Parameters(request, answer, Protect(request, answer)));
            command.Parameters.Add(new() { Value = LockSeed });
            return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
        }
        catch (Exception e)
        {
            retiredKeys.NoteFailedWrite(e);
            throw;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>The answer's body encrypted under the master key, bound to its credential and key (a fresh nonce each time).</summary>
    private byte[] Protect(IdempotentRequest request, StoredAnswer answer) =>
        protector.Protect(Encoding.UTF8.GetString(answer.Body), SecretBinding.OfStoredAnswer(request.Scope, request.Key));

    private static NpgsqlParameter[] Parameters(IdempotentRequest request, StoredAnswer answer, byte[] protectedBody) =>
    [
        new() { Value = request.Scope },
        new() { Value = request.Key },
        new() { Value = request.Fingerprint },
        new() { Value = answer.Status },
        TextParameter.Of(answer.ContentType),
        TextParameter.Of(answer.Location),
        new() { Value = protectedBody },
    ];
}
