using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Infrastructure.Persistence;

namespace Provisioning.Infrastructure.Security;

/// <summary>
/// A known value encrypted with the master key, stored at first start (table <c>master_key_check</c>). A service
/// started with another master key (a restore without the matching key, a typo in a secret store) cannot decrypt
/// it: start-up refuses with one sentence and <c>/readyz</c> is not ready, instead of answering 500 to every
/// request that touches a stored secret. While <c>rotate-secrets</c> moves the secrets to a new key, or after it stopped
/// half-way, a second value under that new key is stored too (<see cref="MarkRotationTargetAsync"/>): a start must
/// decrypt both, so that neither the old key alone (the moved secrets) nor the new key alone (the others) is taken for
/// this database's. The run that finishes removes it with the first value's move (<see cref="CompleteRotationAsync"/>).
/// </summary>
public sealed class MasterKeyCheck(ProvisioningDbContext db, ISecretProtector protector)
{
    private const string KnownValue = "provisioning-master-key-check-v1";

    public enum Result
    {
        Matches,
        Recorded,
        DoesNotMatch,
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

        return stored.All(row => Decrypts(row.Value)) ? Result.Matches : Result.DoesNotMatch;
    }

    /// <summary>True when the configured keys decrypt the stored check value (and an unfinished rotation's), or none is stored yet.</summary>
    public async Task<bool> MatchesAsync(CancellationToken cancellationToken) =>
        (await ReadAsync(cancellationToken)).All(row => Decrypts(row.Value));

    /// <summary>Records, before any secret moves, the key a rotation moves them to (the current one).</summary>
    public Task MarkRotationTargetAsync(CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlInterpolatedAsync(
            $"INSERT INTO master_key_check (id, value) VALUES (2, {protector.Protect(KnownValue)}) ON CONFLICT (id) DO UPDATE SET value = excluded.value",
            cancellationToken);

    /// <summary>Every secret is under the current key: the check value moves to it, and the rotation's mark goes, together.</summary>
    public async Task CompleteRotationAsync(CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.Database.ExecuteSqlInterpolatedAsync(
            $"UPDATE master_key_check SET value = {protector.Protect(KnownValue)} WHERE id = 1", cancellationToken);
        await db.Database.ExecuteSqlInterpolatedAsync($"DELETE FROM master_key_check WHERE id = 2", cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>The check value (id 1) and an unfinished rotation's (id 2), in one read.</summary>
    private Task<List<StoredCheck>> ReadAsync(CancellationToken cancellationToken) =>
        db.Database.SqlQuery<StoredCheck>($"SELECT id, value FROM master_key_check").ToListAsync(cancellationToken);

    private sealed record StoredCheck(int Id, byte[] Value);

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
