using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Infrastructure.Persistence;

namespace Provisioning.Infrastructure.Security;

/// <summary>
/// A known value encrypted with the master key, stored at first start (table <c>master_key_check</c>). A service
/// started with another master key (a restore without the matching key, a typo in a secret store) cannot decrypt
/// it: start-up refuses with one sentence and <c>/readyz</c> is not ready, instead of answering 500 to every
/// request that touches a stored secret. While <c>rotate-secrets</c> moves the secrets to a new key, or after it stopped
/// half-way, a second value under that new key is stored too (<see cref="MarkRotationTargetAsync"/>): a start must
/// decrypt every value, so that neither the old key alone (the moved secrets) nor the new key alone (the others) is
/// taken for this database's. One value per key that a rotation began moving secrets to, kept until one finishes: a
/// rotation stopped half-way and then one to another key (back to the old one, say) leave secrets under both. The run
/// that finishes removes them with the first value's move (<see cref="CompleteRotationAsync"/>), and records every key
/// it moved the secrets away from as retired (table <c>retired_master_keys</c>, by the fingerprint secrets carry): a
/// service whose current key is one of them — an instance left on the old configuration, whose previous keys still
/// decrypt — would go on writing new secrets under it, which a start with the new key alone cannot read
/// (<see cref="Result.Retired"/>).
/// </summary>
public sealed class MasterKeyCheck(ProvisioningDbContext db, AesGcmSecretProtector protector, ILogger<MasterKeyCheck> logger)
{
    private const string KnownValue = "provisioning-master-key-check-v1";

    /// <summary>What a start, a verb and <c>/readyz</c> say about <see cref="Result.Retired"/>.</summary>
    public const string RetiredKeySentence =
        "Provisioning:Secrets:MasterKey is a key a finished rotate-secrets moved this database's secrets away from (the key " +
        "they were under, or the target of a rotation that did not finish): new secrets would be written under a key the " +
        "database no longer uses. Configure the key the last finished rotation moved them to as MasterKey; to rotate again, " +
        "generate a new key (docs/operations.md, \"Rotate the master key\").";

    /// <summary>What a running instance says, once, when it finds its key retired (an operator's alert matches its start).</summary>
    public static void LogTurnedRetired(ILogger logger) => logger.LogError(
        "A finished rotate-secrets retired this instance's master key: it now refuses every request that would store a " +
        "secret (503: key creations, requests whose answer is stored under an Idempotency-Key) and is not ready. {Sentence}",
        RetiredKeySentence);

    /// <summary>The sentence a start, a verb and <c>/readyz</c> refuse with, or null when the keys may be used.</summary>
    public static string? Refusal(Result result) => result switch
    {
        Result.DoesNotMatch => DoesNotMatchSentence,
        Result.Retired => RetiredKeySentence,
        Result.NotYetCheckedUnderAPreviousKey => NotYetCheckedSentence,
        _ => null,
    };

    public enum Result
    {
        Matches,
        Recorded,
        DoesNotMatch,

        /// <summary>
        /// The current key (which encrypts) is one a finished rotation moved the secrets away from, and no check value is
        /// under it (as one is once a rotation back to it has begun, through an older build that does not refuse it).
        /// Decided before whether the keys decrypt: a start with a retired key alone is told so, not only that keys are missing.
        /// </summary>
        Retired,

        /// <summary>
        /// No check value yet, and the stored secrets that stand in for it are under one of the previous keys: one under the
        /// current key would name the wrong key (a start with it alone accepted, the secrets unreadable), and a rotation
        /// begun now would have no record of the key they were under.
        /// </summary>
        NotYetCheckedUnderAPreviousKey,
    }

    /// <summary>What a start, a verb and <c>/readyz</c> say about <see cref="Result.DoesNotMatch"/>.</summary>
    public const string DoesNotMatchSentence =
        "The master keys given (Provisioning:Secrets:MasterKey and PreviousMasterKeys) do not include every key this " +
        "database's secrets are encrypted with; give those keys (restore them together with the data, see " +
        "docs/operations.md). After a rotate-secrets that did not finish, every key it involved is needed until a run " +
        "finishes: the key the secrets were under and each key a run began moving them to (one as MasterKey, the others " +
        "among PreviousMasterKeys).";

    /// <summary>What a start, a verb and <c>/readyz</c> say about <see cref="Result.NotYetCheckedUnderAPreviousKey"/>.</summary>
    public const string NotYetCheckedSentence =
        "This database has no master-key check value yet (it was written by a version from before the check) and its " +
        "secrets are under one of Provisioning:Secrets:PreviousMasterKeys, not under MasterKey: start once with the key " +
        "they are under as MasterKey (the start records the check value under it), then rotate (docs/operations.md, " +
        "\"Rotate the master key\").";

    /// <summary>Compares the configured keys with the stored check values, storing the first when there is none yet.</summary>
    public async Task<Result> VerifyOrRecordAsync(CancellationToken cancellationToken)
    {
        var check = protector.Retirement.CheckBegins();
        var stored = await ReadAsync(cancellationToken);
        var result = Judge(stored, check, sayIfTurned: false);
        // Never a check value under a retired key, nor under another key than the secrets already stored are under.
        if (!stored.Rows.Any(row => row.Id == 1) && !stored.CurrentKeyRetired && result == Result.Matches)
        {
            var value = protector.Protect(KnownValue, SecretBinding.CheckValue);
            var inserted = await db.Database.ExecuteSqlInterpolatedAsync(
                $"INSERT INTO master_key_check (id, value) VALUES (1, {value}) ON CONFLICT (id) DO NOTHING", cancellationToken);
            if (inserted == 1 && stored.Rows.Count == 0)
            {
                return Result.Recorded;
            }

            var again = protector.Retirement.CheckBegins();
            result = Judge(await ReadAsync(cancellationToken), again, sayIfTurned: false); // Another instance recorded it first.
        }

        return result;
    }

    /// <summary>
    /// Whether the configured keys decrypt the stored check value (and an unfinished rotation's; when none is stored
    /// yet, a stored secret of each kind stands in for it: <see cref="Result.Matches"/> on an empty database), and the current one is not retired.
    /// </summary>
    public async Task<Result> VerifyAsync(CancellationToken cancellationToken)
    {
        var check = protector.Retirement.CheckBegins();
        return Judge(await ReadAsync(cancellationToken), check, sayIfTurned: true);
    }

    /// <summary>
    /// What the stored values (read by check <paramref name="check"/>) say about the configured keys; and the protector is
    /// told whether its current key is retired (<see cref="MasterKeyRetirement.IsRetired"/>: it refuses to write
    /// under it), whoever asked — the start, <c>/readyz</c>, or <see cref="RetiredMasterKeyWatch"/> (a reconnect, a notice, a
    /// refused write) — and it is said once, at Error, when a running instance's key turns retired or a check confirms a
    /// notice, and at Warning when a check finds it not retired after all. Retired also when the values were read before a
    /// finding (or a notice) of "retired" that stands (<see cref="MasterKeyRetirement.CheckFound"/>): <c>/readyz</c> says so too.
    /// </summary>
    private Result Judge(Stored stored, long check, bool sayIfTurned)
    {
        var secretsUnder = stored.Secrets.Select(KeyThatDecrypts).ToList();
        var result = stored.CurrentKeyRefused ? Result.Retired
            : !stored.Rows.All(row => Decrypts(row.Value)) || secretsUnder.Contains(null) ? Result.DoesNotMatch
            : secretsUnder.Any(key => !key.AsSpan().SequenceEqual(protector.CurrentKeyId)) ? Result.NotYetCheckedUnderAPreviousKey
            : Result.Matches;
        switch (protector.Retirement.CheckFound(check, result == Result.Retired, sayIfTurned))
        {
            case MasterKeyTurn.Retired:
                LogTurnedRetired(logger);
                break;
            case MasterKeyTurn.NoLongerRetired:
                // At most once a minute: each notice no rotation sent is undone by the check after it (a probe sent eight).
                protector.Retirement.Cleared.Say((count, since) => logger.LogWarning(
                    "This instance's master key is not retired, the database says: it stores secrets again ({Count} time(s) since " +
                    "{Since:u}). A notice had said it was (rotate-secrets sends one only as it finishes: another session of the " +
                    "database sent it — the notice's Warning names its PostgreSQL process: find it in pg_stat_activity), or an " +
                    "older build's rotation went back to it, or the database was restored to a point before that rotation finished " +
                    "(its secrets are under this key again: run rotate-secrets again before dropping it; docs/operations.md, " +
                    "\"Backup and restore\").", count, since));
                break;
        }

        return protector.Retirement.IsRetired ? Result.Retired : result;
    }

    /// <summary>
    /// Records, before any secret moves, the key a rotation moves them to (the current one), as one more value, unless one
    /// under it is stored already. Never over another: the value it would replace is the only record that secrets may be
    /// under that key (a first rotation's target, when a second began before the first finished). (Runs under the
    /// rotation's own lock: one at a time.)
    /// </summary>
    public async Task MarkRotationTargetAsync(CancellationToken cancellationToken)
    {
        if ((await ReadAsync(cancellationToken)).Rows.Any(row => protector.IsUnderCurrentKey(row.Value)))
        {
            return;
        }

        await db.Database.ExecuteSqlInterpolatedAsync(
            $"INSERT INTO master_key_check (id, value) SELECT coalesce(max(id), 1) + 1, {protector.Protect(KnownValue, SecretBinding.CheckValue)} FROM master_key_check",
            cancellationToken);
    }

    /// <summary>
    /// Every secret is under the current key: the check value moves to it, and the rotations' marks go, together; every
    /// other key a check value was under is retired (found by decrypting: a version-1 value, from before rotation existed,
    /// names no key): the key the secrets were under, and the targets of rotations that did not finish, under which
    /// secrets were too. (Retiring an abandoned target means a rotation to it cannot be taken up again: a new key is
    /// needed. Not retiring it left an instance still on it ready, writing secrets no later configuration reads.) In the
    /// caller's transaction, which holds back the writes of secrets until it commits (<see cref="SecretRotation"/>); its
    /// notice tells the instances at the commit (<see cref="RetiredMasterKeyWatch"/>).
    /// </summary>
    public async Task CompleteRotationAsync(CancellationToken cancellationToken)
    {
        if (db.Database.CurrentTransaction is null)
        {
            throw new InvalidOperationException("A rotation is completed in the transaction that holds back the writes of secrets.");
        }

        List<string> retired = [];
        foreach (var row in (await ReadAsync(cancellationToken)).Rows)
        {
            if (protector.KeyIdThatDecrypts(row.Value, SecretBinding.CheckValue) is { } movedFrom && !movedFrom.AsSpan().SequenceEqual(protector.CurrentKeyId))
            {
                retired.Add(AesGcmSecretProtector.Fingerprint(movedFrom));
                await db.Database.ExecuteSqlInterpolatedAsync(
                    $"INSERT INTO retired_master_keys (key_id) VALUES ({movedFrom}) ON CONFLICT (key_id) DO NOTHING", cancellationToken);
            }
        }

        // (An upsert: a rotation of a database that had no check value yet leaves one too.)
        await db.Database.ExecuteSqlInterpolatedAsync(
            $"INSERT INTO master_key_check (id, value) VALUES (1, {protector.Protect(KnownValue, SecretBinding.CheckValue)}) ON CONFLICT (id) DO UPDATE SET value = excluded.value",
            cancellationToken);
        await db.Database.ExecuteSqlInterpolatedAsync($"DELETE FROM master_key_check WHERE id <> 1", cancellationToken);
        // Heard by every instance at the commit, with the fingerprints it retires: one whose key is among them stops writing
        // under it at once, without a read of its own (its pool may be busy: RetiredMasterKeyWatch).
        await db.Database.ExecuteSqlInterpolatedAsync(
            $"SELECT pg_notify({RetiredMasterKeyWatch.NoticeChannel}, {string.Join(",", retired)})", cancellationToken);
    }

    /// <summary>
    /// The check value (id 1) and unfinished rotations' targets (ids 2, 3, …), whether the current key is retired, and
    /// whether the database refuses secrets under it, in one read. Retired: the key is in <c>retired_master_keys</c>,
    /// whatever the check values (also when there is none: a table emptied by hand must not let a retired key record one).
    /// Refused: the database's one rule for it, <c>under_retired_master_key</c>, which its triggers apply to every secret
    /// written (retired, and no check value under it: an older build's rotation back to it). (The function is VOLATILE, as
    /// the triggers need: its own reads may see a rotation that committed after this statement's snapshot, so the refusal can
    /// be a moment newer than the rows beside it; both are re-read at the next check.)
    /// </summary>
    private async Task<Stored> ReadAsync(CancellationToken cancellationToken)
    {
        var rows = await db.Database.SqlQuery<StoredRow>(
                $"""
                SELECT c.id, c.value, r.current_key_retired, r.current_key_refused
                FROM (SELECT EXISTS (SELECT FROM retired_master_keys WHERE key_id = {protector.CurrentKeyId}) AS current_key_retired,
                             under_retired_master_key({protector.CurrentKeyHeader}) AS current_key_refused) AS r
                LEFT JOIN master_key_check AS c ON true
                """)
            .ToListAsync(cancellationToken);
        List<StoredCheck> checks = [.. rows.Where(row => row.Id is not null).Select(row => new StoredCheck(row.Id!.Value, row.Value!))];
        var secrets = checks.Any(row => row.Id == 1)
            ? []
            : await db.Database.SqlQueryRaw<StoredSecret>(SecretsWithoutACheckSql).ToListAsync(cancellationToken);
        return new Stored(checks, rows.Any(row => row.CurrentKeyRetired), rows.Any(row => row.CurrentKeyRefused), secrets);
    }

    /// <summary>
    /// Without a check value, a stored secret of each kind stands in for it: a database written by a version from before
    /// the check (2026-11-23, which had no rotation either: every secret under one key), or one whose check was deleted by
    /// hand, holds secrets under a key the check would have named. (A start with another key recorded a check value under
    /// that key and came up ready, every credential then answering 500, and the right key was refused afterwards: an
    /// upgrade probe.) Read only then; through the primary keys' indexes.
    /// </summary>
    internal static readonly string SecretsWithoutACheckSql = """
        (SELECT protected_secret AS value, id, kind, tenant_id, service_account_id, app_id, NULL AS scope, NULL AS key
         FROM api_keys ORDER BY id LIMIT 1)
        UNION ALL
        (SELECT protected_body, NULL, NULL, NULL, NULL, NULL, scope, key FROM idempotency_records ORDER BY scope, key LIMIT 1)
        """;

    /// <summary>A stored secret standing in for the check value, with what it is bound to (a key's row, or a stored answer's).</summary>
    private sealed record StoredSecret(
        byte[] Value, string? Id, short? Kind, string? TenantId, string? ServiceAccountId, string? AppId, string? Scope, string? Key)
    {
        public SecretBinding Binding() => Id is not null
            ? SecretBinding.OfKey(Id, (Domain.Credentials.KeyKind)Kind!.Value, TenantId!, ServiceAccountId, AppId)
            : SecretBinding.OfStoredAnswer(Scope!, Key!);
    }

    private sealed record StoredRow(int? Id, byte[]? Value, bool CurrentKeyRetired, bool CurrentKeyRefused);

    private sealed record StoredCheck(int Id, byte[] Value);

    /// <summary><paramref name="Secrets"/>: stored secrets standing in for a missing check value (none when there is one).</summary>
    private sealed record Stored(List<StoredCheck> Rows, bool CurrentKeyRetired, bool CurrentKeyRefused, List<StoredSecret> Secrets);

    private byte[]? KeyThatDecrypts(StoredSecret stored)
    {
        try
        {
            return protector.KeyIdThatDecrypts(stored.Value, stored.Binding());
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    private bool Decrypts(byte[] stored)
    {
        try
        {
            return protector.Unprotect(stored, SecretBinding.CheckValue) == KnownValue;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }
}
