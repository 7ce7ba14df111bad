using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Npgsql;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Domain.Credentials;
using Provisioning.Infrastructure.Persistence;

namespace Provisioning.Infrastructure.Security;

/// <summary>
/// <c>rotate-secrets</c>: re-encrypts every stored secret under the current master key (and as it writes them: bound to
/// their rows, <see cref="AesGcmSecretProtector"/>; so also with the same key, once), in bounded batches, while the
/// service runs. Each batch is one short transaction. A first pass locks only the rows it rewrites (<c>FOR UPDATE SKIP
/// LOCKED</c>), so requests never wait on it; a second takes the rows it skipped, waiting for each (a request holds one
/// for milliseconds) up to a bound. A secret already under the current key is never touched, so an interrupted rotation
/// simply runs again and finishes. The master-key check value goes last, and only when no stored secret is left under
/// an older key (counted while the writes of secrets pause: <see cref="CompleteAsync"/>): once it is under the new key, a
/// service started with only the new key is accepted, and every secret decrypts with it. Otherwise the run ends with
/// <see cref="SecretRotationIncompleteException"/> and changes nothing more. One run at a time per database (a session
/// advisory lock, <see cref="SessionLock"/>): a second is refused at once.
/// </summary>
public sealed class SecretRotation(
    ProvisioningDbContext db, SessionConnectionString connectionString, AesGcmSecretProtector protector, MasterKeyCheck check, ILogger<SecretRotation> logger)
{
    public const int DefaultBatchSize = 500;

    /// <summary>Advisory lock key held by a running rotation for its whole run.</summary>
    public const long RotationLock = 0x5052_4F56_524F_5441; // "PROVROTA"

    /// <summary>How long the second pass waits for a secret another transaction holds before it gives up.</summary>
    public static readonly TimeSpan DefaultLockWait = TimeSpan.FromSeconds(30);

    /// <summary>Rotates everything; returns how many secrets were re-encrypted.</summary>
    public async Task<int> RotateAsync(int batchSize, Action<int>? progress, CancellationToken cancellationToken, TimeSpan? lockWait = null)
    {
        // The run holds a lock of its own for its whole length (on a connection of its own: see SessionLock).
        await using var running = await SessionLock.TryTakeAsync(connectionString.Value, RotationLock, cancellationToken)
            ?? throw new SecretRotationIncompleteException(
                "Another rotate-secrets is running on this database (or one was stopped and its session is still open); " +
                "wait for it to end, then run this again.");

        // Before any secret moves: from now until the run that finishes, a start needs the key they move to as well.
        await check.MarkRotationTargetAsync(cancellationToken);
        var total = await RotatePassAsync(batchSize, null, progress, 0, cancellationToken);

        // What the first pass skipped is what requests held: one row at a time, so that waiting for one never holds
        // another (the key-usage recorder updates many rows in one statement).
        total = await RotatePassAsync(1, lockWait ?? DefaultLockWait, progress, total, cancellationToken);
        await CompleteAsync(lockWait ?? DefaultLockWait, cancellationToken);
        logger.LogInformation("Re-encrypted {Count} stored secrets under the current master key", total);
        return total;
    }

    /// <summary>
    /// One pass over both tables in batches: skipping rows other transactions hold (<paramref name="lockWait"/> null), or
    /// waiting for each up to <paramref name="lockWait"/>. Each batch goes on from the last one's last row (a keyset), up to
    /// the table's last row when the pass began: a pass reads each table once, however many secrets there are and however
    /// fast an instance still on the old key writes new ones (what it writes behind the pass is counted at the end:
    /// <see cref="CompleteAsync"/>). Each batch began at the first row, walking past every secret already moved — a run's
    /// time grew with the square of the secrets, and a second pass (a row a batch) chasing a straggler's writes did not
    /// end in a quarter of an hour (a probe).
    /// </summary>
    private async Task<int> RotatePassAsync(int batchSize, TimeSpan? lockWait, Action<int>? progress, int total, CancellationToken cancellationToken)
    {
        var keys = await db.Database.SqlQueryRaw<string>(LastKeySql).SingleAsync(cancellationToken) is { } lastKey
            ? new KeysPosition("", lastKey)
            : null;
        var answers = await db.Database.SqlQueryRaw<AnswerKey>(LastAnswerSql).SingleOrDefaultAsync(cancellationToken) is { } lastAnswer
            ? new AnswersPosition(new AnswerKey("", ""), lastAnswer)
            : null;
        while (keys is not null || answers is not null)
        {
            var rewritten = 0;
            try
            {
                if (keys is not null)
                {
                    (var count, keys) = await RotateKeysBatchAsync(batchSize, lockWait, keys, cancellationToken);
                    rewritten += count;
                }

                if (answers is not null)
                {
                    (var count, answers) = await RotateStoredAnswersBatchAsync(batchSize, lockWait, answers, cancellationToken);
                    rewritten += count;
                }
            }
            catch (Exception e) when (PostgresError.StateIn(e) is PostgresErrorCodes.LockNotAvailable or PostgresErrorCodes.DeadlockDetected)
            {
                throw new SecretRotationIncompleteException(
                    $"{await PendingAsync(cancellationToken)} stored secret(s) are still under an older master key: another " +
                    $"transaction held them too long ({PostgresError.In(e)?.MessageText ?? e.Message}). The master-key check was left " +
                    "as it is, so keep the previous keys configured, and run rotate-secrets again.");
            }

            if (rewritten > 0)
            {
                total += rewritten;
                progress?.Invoke(total);
            }
        }

        return total;
    }

    private const string LastKeySql = "SELECT max(id) AS \"Value\" FROM api_keys";

    private const string LastAnswerSql = "SELECT scope, key FROM idempotency_records ORDER BY scope DESC, key DESC LIMIT 1";

    /// <summary>A pass over <c>api_keys</c>: the rows after <paramref name="After"/> up to <paramref name="UpTo"/> are left.</summary>
    private sealed record KeysPosition(string After, string UpTo);

    /// <summary>A pass over <c>idempotency_records</c>: the rows after <paramref name="After"/> up to <paramref name="UpTo"/> are left.</summary>
    private sealed record AnswersPosition(AnswerKey After, AnswerKey UpTo);

    private sealed record AnswerKey(string Scope, string Key);

    /// <summary>
    /// The last step, in one transaction: the writes of secrets in flight end first (the two tables' SHARE lock waits for
    /// those begun and holds back new ones), none is left under an older key (counted under the lock, so a write begun
    /// before the passes' last look and committed after it is counted: it was not, and a finishing run retired the key
    /// such a straggler's secret was under), and then the check value moves and the keys are retired
    /// (<see cref="MasterKeyCheck.CompleteRotationAsync"/>), after which the database refuses a key secret under them.
    /// Counted once before, without the lock: what a straggler wrote is found without holding anyone back, and the count
    /// under the lock reads tables just read. Each table's lock is tried for <see cref="LastStepLockWait"/>, so that the
    /// writes it holds back never wait longer than twice that (one in flight may be a long <c>delete-tenant</c>), for up to
    /// <paramref name="lockWait"/> in all; once past PostgreSQL's <c>deadlock_timeout</c> for a table a vacuum holds
    /// (autovacuum gives way to a waiter only then; a vacuum still there afterwards does not give way — a manual one,
    /// autovacuum's against wraparound — and is waited out with the short tries).
    /// </summary>
    private async Task CompleteAsync(TimeSpan lockWait, CancellationToken cancellationToken)
    {
        await ThrowIfPendingAsync(cancellationToken);
        var started = Stopwatch.GetTimestamp();
        // (Not past a deadlock_timeout raised beyond LongestLockWait: writes would wait that long; short tries then.)
        var deadlockTimeout = TimeSpan.FromMilliseconds(await db.Database.SqlQueryRaw<int>(DeadlockTimeoutSql).SingleAsync(cancellationToken));
        var longWait = deadlockTimeout + LastStepLockWait <= LongestLockWait ? deadlockTimeout + LastStepLockWait : LastStepLockWait;
        Dictionary<string, TimeSpan> waits = PausedTables.ToDictionary(paused => paused.Table, _ => LastStepLockWait);
        HashSet<(int Pid, string Table)> vacuumsWaitedOut = [];
        List<LockHolder> before = [];
        while (true)
        {
            string[] waitingFor = [PausedTables[0].Table];
            var writingTheCheck = false;
            try
            {
                await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
                foreach (var (table, lockSql) in PausedTables)
                {
                    // A table at a time, each with its own wait, so that a failed try says which one did not pause.
                    waitingFor = [table];
                    await SetLockWaitAsync(waits[table], cancellationToken);
                    await db.Database.ExecuteSqlRawAsync(lockSql, cancellationToken);
                }

                // Its own writes wait as briefly (the writes held back wait with them), and a try that fails there names
                // who holds those tables, not the last paused one's writers.
                (waitingFor, writingTheCheck) = (CheckTables, true);
                await SetLockWaitAsync(LastStepLockWait, cancellationToken);
                await ThrowIfPendingAsync(cancellationToken);
                await check.CompleteRotationAsync(cancellationToken);
                // The commit waits for PostgreSQL's notify queue (its notice, as any committing NOTIFY does: a revocation's),
                // whose holder no relation lock shows; for milliseconds, and a give-up there could name nobody.
                await SetLockWaitAsync(TimeSpan.Zero, cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                return;
            }
            catch (Exception e) when (PostgresError.StateIn(e) is PostgresErrorCodes.LockNotAvailable or PostgresErrorCodes.DeadlockDetected)
            {
                var holders = (await db.Database.SqlQueryRaw<LockHolder>(LockHoldersSql).ToListAsync(cancellationToken))
                    .Where(holder => waitingFor.Contains(holder.Table)).ToList();
                if (waitingFor is [var paused] && waits.TryGetValue(paused, out var waited) && waited == longWait)
                {
                    // Waited past deadlock_timeout: a vacuum still there does not give way (a manual one, or autovacuum's
                    // against wraparound), and is waited out with the short tries.
                    vacuumsWaitedOut.UnionWith(holders.Where(IsVacuum).Select(holder => (holder.Pid, holder.Table)));
                }

                if (Stopwatch.GetElapsedTime(started) >= lockWait)
                {
                    // Those that held the table at the last try, the ones there at the try before first (the writes of the
                    // moment come and go).
                    throw new SecretRotationIncompleteException(
                        "Every stored secret the run found is under the current master key, but " +
                        (writingTheCheck
                            ? "the last step could not write the master-key check and the retired keys"
                            : "the writes of keys and stored answers did not pause for the last step") +
                        $" within {lockWait.TotalSeconds:0} s ({Describe([.. holders.OrderBy(holder => !before.Contains(holder))])}): " +
                        "the master-key check was left as it is, so keep the previous keys configured, and run rotate-secrets again.");
                }

                if (waitingFor is [var table] && waits.ContainsKey(table))
                {
                    waits[table] = holders.Any(holder => IsVacuum(holder) && !vacuumsWaitedOut.Contains((holder.Pid, holder.Table)))
                        ? longWait
                        : LastStepLockWait;
                }

                before = holders;
                await Task.Delay(LastStepLockWait, cancellationToken);
            }
        }
    }

    /// <summary>The tables whose writes the last step pauses, in the order every writer takes them (no deadlock).</summary>
    private static readonly (string Table, string Lock)[] PausedTables =
    [
        ("api_keys", "LOCK TABLE api_keys IN SHARE MODE"),
        ("idempotency_records", "LOCK TABLE idempotency_records IN SHARE MODE"),
    ];

    /// <summary>The tables of <see cref="PausedTables"/> (for a test that every encrypted column's table is among them).</summary>
    internal static IEnumerable<string> PausedTableNames => PausedTables.Select(paused => paused.Table);

    /// <summary>The tables the last step writes once the writes are paused (<see cref="MasterKeyCheck.CompleteRotationAsync"/>).</summary>
    private static readonly string[] CheckTables = ["master_key_check", "retired_master_keys"];

    private static bool IsVacuum(LockHolder holder) => holder.Mode == VacuumsLock;

    private async Task ThrowIfPendingAsync(CancellationToken cancellationToken)
    {
        if (await PendingAsync(cancellationToken) is var pending and > 0)
        {
            throw new SecretRotationIncompleteException(
                $"{pending} stored secret(s) were written under an older master key while this ran (an instance whose " +
                "current key is still the old one? or one of a build from before 2026-12-06 (16:42), which writes them bound to no row, " +
                "under any key); the master-key check was left as it is, so keep the previous keys configured. Run " +
                "rotate-secrets again once every instance runs this build with the new key.");
        }
    }

    /// <summary>How long the last step waits for each table's writes in flight when it tries (new writes wait as long).</summary>
    private static readonly TimeSpan LastStepLockWait = TimeSpan.FromMilliseconds(125);

    /// <summary>The longest the last step waits for a table a vacuum holds (PostgreSQL's default deadlock_timeout is 1 s).</summary>
    private static readonly TimeSpan LongestLockWait = TimeSpan.FromSeconds(2);

    /// <summary>What VACUUM and ANALYZE hold (autovacuum's too), which SHARE waits for.</summary>
    private const string VacuumsLock = "ShareUpdateExclusiveLock";

    /// <summary>
    /// The sessions holding a lock the last step waits for, with their <c>application_name</c> (a service instance's
    /// sessions are named by its id, <see cref="ServiceInstance"/>; what a session of another role runs is not shown to this
    /// one, its name is): on the paused tables, the locks SHARE waits for; on <see cref="CheckTables"/>, any a write can
    /// wait for (a row lock's holder shows as its table's RowShareLock or RowExclusiveLock; not a read's, not a vacuum's).
    /// </summary>
    private static readonly string LockHoldersSql = $"""
        SELECT l.pid, l.mode, l.relation::regclass::text AS "table", coalesce(a.application_name, '') AS "application"
        FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.granted AND l.pid <> pg_backend_pid()
          AND (l.relation IN ({string.Join(", ", PausedTables.Select(paused => $"'{paused.Table}'::regclass"))})
                AND l.mode IN ('RowExclusiveLock', '{VacuumsLock}', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock')
               OR l.relation IN ({string.Join(", ", CheckTables.Select(table => $"'{table}'::regclass"))})
                AND l.mode NOT IN ('AccessShareLock', '{VacuumsLock}'))
        ORDER BY l.pid
        """;

    private const string DeadlockTimeoutSql = "SELECT setting::int AS \"Value\" FROM pg_settings WHERE name = 'deadlock_timeout'";

    private static string Describe(List<LockHolder> holders) => holders.Count == 0
        ? "no session held them a moment later"
        : "held by " + string.Join("; ", holders.GroupBy(holder => holder.Pid).Select(process =>
            $"PostgreSQL process {process.Key}{Named(process.First().Application)}, " + string.Join(" and ", process.Select(holder =>
                $"{holder.Mode} on {holder.Table}{(holder.Mode == VacuumsLock ? " (a VACUUM or ANALYZE)" : "")}"))));

    private static string Named(string application) => application.Length == 0 ? "" : $" ('{application}')";

    private sealed record LockHolder(int Pid, string Mode, string Table, string Application);

    /// <summary>How many stored secrets (keys and stored idempotent answers) are not yet under the current master key.</summary>
    public async Task<int> PendingAsync(CancellationToken cancellationToken) =>
        await db.Database.SqlQueryRaw<int>(PendingCount, protector.CurrentKeyHeader).SingleAsync(cancellationToken);

    internal static readonly string PendingCount = $"""
        SELECT ((SELECT count(*) FROM api_keys WHERE {NotUnderKey("protected_secret")})
              + (SELECT count(*) FROM idempotency_records WHERE {NotUnderKey("protected_body")}))::int AS "Value"
        """;

    /// <summary>The secret in <paramref name="column"/> is not under the key given as parameter {0}.</summary>
    // Not as the current key writes it ({0}: its header): under another key, or under this one but of an older version, bound to
    // nothing (rewritten bound: a rotation to the same key binds the secrets written before bindings).
    private static string NotUnderKey(string column) => $"{AesGcmSecretProtector.SqlHeaderOf(column)} IS DISTINCT FROM {{0}}";

    /// <summary>A batch of keys from <paramref name="position"/>; where the next goes on from, or null when the pass is over.</summary>
    private async Task<(int Count, KeysPosition? Next)> RotateKeysBatchAsync(
        int batchSize, TimeSpan? lockWait, KeysPosition position, CancellationToken cancellationToken)
    {
        await using var transaction = await BeginAsync(lockWait, cancellationToken);
        var batch = await db.Database.SqlQueryRaw<StoredSecret>(
                lockWait is null ? KeysBatch + SkipLocked : KeysBatch, protector.CurrentKeyHeader, batchSize, position.After, position.UpTo)
            .ToListAsync(cancellationToken);
        if (batch.Count > 0)
        {
            await db.Database.ExecuteSqlRawAsync(
                "UPDATE api_keys AS k SET protected_secret = u.secret FROM unnest(@ids, @secrets) AS u(id, secret) WHERE k.id = u.id",
                [
                    new NpgsqlParameter("ids", batch.Select(row => row.Id).ToArray()),
                    new NpgsqlParameter("secrets", batch.Select(row => Reencrypt(
                        row.Secret, SecretBinding.OfKey(row.Id, (KeyKind)row.Kind, row.TenantId, row.ServiceAccountId, row.AppId),
                        $"the secret of key {row.Id}")).ToArray()),
                ],
                cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return (batch.Count, batch.Count < batchSize ? null : position with { After = batch[^1].Id });
    }

    /// <summary>Stored idempotent answers (they may hold a new key's secret or a tenant token) are re-encrypted the same way.</summary>
    private async Task<(int Count, AnswersPosition? Next)> RotateStoredAnswersBatchAsync(
        int batchSize, TimeSpan? lockWait, AnswersPosition position, CancellationToken cancellationToken)
    {
        await using var transaction = await BeginAsync(lockWait, cancellationToken);
        var batch = await db.Database.SqlQueryRaw<StoredAnswer>(
                lockWait is null ? StoredAnswersBatch + SkipLocked : StoredAnswersBatch,
                protector.CurrentKeyHeader, batchSize, position.After.Scope, position.After.Key, position.UpTo.Scope, position.UpTo.Key)
            .ToListAsync(cancellationToken);
        if (batch.Count > 0)
        {
            await db.Database.ExecuteSqlRawAsync(
                "UPDATE idempotency_records AS r SET protected_body = u.body " +
                "FROM unnest(@scopes, @keys, @bodies) AS u(scope, key, body) WHERE r.scope = u.scope AND r.key = u.key",
                [
                    new NpgsqlParameter("scopes", batch.Select(row => row.Scope).ToArray()),
                    new NpgsqlParameter("keys", batch.Select(row => row.Key).ToArray()),
                    new NpgsqlParameter("bodies", batch.Select(row =>
                        Reencrypt(row.Body, SecretBinding.OfStoredAnswer(row.Scope, row.Key),
                            $"a stored answer of an idempotent request by credential {row.Scope}, Idempotency-Key '{row.Key}'")).ToArray()),
                ],
                cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return (batch.Count, batch.Count < batchSize ? null : position with { After = new AnswerKey(batch[^1].Scope, batch[^1].Key) });
    }

    // A batch of what is not under the current key ({0}: its id), of at most {1} rows, after a position and up to the last
    // row when the pass began, locked; SKIP LOCKED is added in the first pass.
    private static readonly string KeysBatch = $$"""
        SELECT id, kind, tenant_id, service_account_id, app_id, protected_secret AS secret FROM api_keys
        WHERE id > {2} AND id <= {3} AND {{NotUnderKey("protected_secret")}}
        ORDER BY id LIMIT {1} FOR UPDATE
        """;

    private static readonly string StoredAnswersBatch = $$"""
        SELECT scope, key, protected_body AS body FROM idempotency_records
        WHERE (scope, key) > ({2}, {3}) AND (scope, key) <= ({4}, {5}) AND {{NotUnderKey("protected_body")}}
        ORDER BY scope, key LIMIT {1} FOR UPDATE
        """;

    private const string SkipLocked = " SKIP LOCKED";

    /// <summary>A batch's transaction; when it waits for locks, for at most <paramref name="lockWait"/> each.</summary>
    private async Task<Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction> BeginAsync(TimeSpan? lockWait, CancellationToken cancellationToken)
    {
        var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (lockWait is { } wait)
        {
            await SetLockWaitAsync(wait, cancellationToken);
        }

        return transaction;
    }

    /// <summary>How long the statements of the transaction from now on wait for each lock (<c>lock_timeout</c>; zero: as long as it takes).</summary>
    private Task SetLockWaitAsync(TimeSpan wait, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlAsync($"SELECT set_config('lock_timeout', {$"{(long)wait.TotalMilliseconds}ms"}, true)", cancellationToken);

    /// <summary>
    /// The secret under the current master key; one no configured key decrypts is named (which key, whose answer), so that
    /// the run's refusal says what is left behind and under which credential (it said only "a stored secret").
    /// </summary>
    private byte[] Reencrypt(byte[] secret, SecretBinding binding, string what)
    {
        try
        {
            return protector.Protect(protector.Unprotect(secret, binding), binding);
        }
        catch (System.Security.Cryptography.CryptographicException e)
        {
            throw new System.Security.Cryptography.CryptographicException($"{e.Message.TrimEnd('.')}: {what}.", e);
        }
    }

    private sealed record StoredSecret(string Id, short Kind, string TenantId, string? ServiceAccountId, string? AppId, byte[] Secret);

    private sealed record StoredAnswer(string Scope, string Key, byte[] Body);
}
