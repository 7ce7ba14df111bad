using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
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
public sealed class MasterKeyCheck(ProvisioningDbContext db, AesGcmSecretProtector protector)
{
    private const string KnownValue = "provisioning-master-key-check-v1";

    /// <summary>What a start, a verb and <c>/readyz</c> say about <see cref="Result.Retired"/>.</summary>
    public const string RetiredKeySentence =
        "Provisioning:Secrets:MasterKey is a key a finished rotate-secrets moved this database's secrets away from: this " +
        "configuration is from before the rotation, and new secrets would be written under the old key. Configure the key " +
        "the rotation moved them to as MasterKey (docs/operations.md, \"Rotate the master key\").";

    public enum Result
    {
        Matches,
        Recorded,
        DoesNotMatch,

        /// <summary>
        /// The configured keys decrypt, but the current one (which encrypts) is a key a finished rotation moved the secrets
        /// away from, and no unfinished rotation is moving them back to it.
        /// </summary>
        Retired,
    }

    /// <summary>Compares the configured keys with the stored check values, storing the first when there is none yet.</summary>
    public async Task<Result> VerifyOrRecordAsync(CancellationToken cancellationToken)
    {
        var stored = await ReadAsync(cancellationToken);
        if (!stored.Any(row => row.Id == 1))
        {
            var value = protector.Protect(KnownValue);
            var inserted = await db.Database.ExecuteSqlInterpolatedAsync(
                $"INSERT INTO master_key_check (id, value) VALUES (1, {value}) ON CONFLICT (id) DO NOTHING", cancellationToken);
            if (inserted == 1 && stored.Count == 0)
            {
                return Result.Recorded;
            }

            stored = await ReadAsync(cancellationToken); // Another instance recorded it first.
        }

        return Judge(stored);
    }

    /// <summary>
    /// Whether the configured keys decrypt the stored check value (and an unfinished rotation's; <see cref="Result.Matches"/>
    /// when none is stored yet), and the current one is not retired.
    /// </summary>
    public async Task<Result> VerifyAsync(CancellationToken cancellationToken) => Judge(await ReadAsync(cancellationToken));

    private Result Judge(List<StoredCheck> stored) =>
        !stored.All(row => Decrypts(row.Value)) ? Result.DoesNotMatch
        : stored.Any(row => row.CurrentKeyRetired) && !stored.Any(row => protector.IsUnderCurrentKey(row.Value)) ? Result.Retired
        : Result.Matches;

    /// <summary>
    /// Records, before any secret moves, the key a rotation moves them to (the current one), as one more value, unless one
    /// under it is stored already. Never over another: the value it would replace is the only record that secrets may be
    /// under that key (a first rotation's target, when a second began before the first finished). (Runs under the
    /// rotation's own lock: one at a time.)
    /// </summary>
    public async Task MarkRotationTargetAsync(CancellationToken cancellationToken)
    {
        if ((await ReadAsync(cancellationToken)).Any(row => protector.IsUnderCurrentKey(row.Value)))
        {
            return;
        }

        await db.Database.ExecuteSqlInterpolatedAsync(
            $"INSERT INTO master_key_check (id, value) SELECT coalesce(max(id), 1) + 1, {protector.Protect(KnownValue)} FROM master_key_check",
            cancellationToken);
    }

    /// <summary>
    /// Every secret is under the current key: the check value moves to it, and the rotations' marks go, together; the keys
    /// the values were under but the current one are retired (a version-1 value, from before rotation existed, names no key).
    /// </summary>
    public async Task CompleteRotationAsync(CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var current = protector.CurrentKeyId;
        await db.Database.ExecuteSqlRawAsync(RetireOtherKeys, [current], cancellationToken);
        await db.Database.ExecuteSqlInterpolatedAsync($"DELETE FROM retired_master_keys WHERE key_id = {current}", cancellationToken);
        await db.Database.ExecuteSqlInterpolatedAsync(
            $"UPDATE master_key_check SET value = {protector.Protect(KnownValue)} WHERE id = 1", cancellationToken);
        await db.Database.ExecuteSqlInterpolatedAsync($"DELETE FROM master_key_check WHERE id <> 1", cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>The keys of the check values but the current one ({0}), retired (a version-1 value names none).</summary>
    private static readonly string RetireOtherKeys = $$"""
        INSERT INTO retired_master_keys (key_id)
        SELECT DISTINCT {{AesGcmSecretProtector.SqlKeyIdOf("value")}} FROM master_key_check
        WHERE {{AesGcmSecretProtector.SqlKeyIdOf("value")}} <> {0}
        ON CONFLICT (key_id) DO NOTHING
        """;

    /// <summary>
    /// The check value (id 1) and unfinished rotations' targets (ids 2, 3, …), each with whether the current key is
    /// retired, in one read.
    /// </summary>
    private Task<List<StoredCheck>> ReadAsync(CancellationToken cancellationToken) =>
        db.Database.SqlQuery<StoredCheck>(
                $"""
                SELECT id, value, EXISTS (SELECT FROM retired_master_keys WHERE key_id = {protector.CurrentKeyId}) AS current_key_retired
                FROM master_key_check
                """)
            .ToListAsync(cancellationToken);

    private sealed record StoredCheck(int Id, byte[] Value, bool CurrentKeyRetired);

    private bool Decrypts(byte[] stored)
    {
        try
        {
            return protector.Unprotect(stored) == KnownValue;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }
}
