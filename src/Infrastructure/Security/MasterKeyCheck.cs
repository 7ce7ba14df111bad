using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Infrastructure.Persistence;

namespace Provisioning.Infrastructure.Security;

/// <summary>
/// A known value encrypted with the master key, stored at first start (table <c>master_key_check</c>). A service
/// started with another master key (a restore without the matching key, a typo in a secret store) cannot decrypt
/// it: start-up refuses with one sentence and <c>/readyz</c> is not ready, instead of answering 500 to every
/// request that touches a stored secret.
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

    /// <summary>Compares the configured key with the stored check value, storing one when there is none yet.</summary>
    public async Task<Result> VerifyOrRecordAsync(CancellationToken cancellationToken)
    {
        var stored = await ReadAsync(cancellationToken);
        if (stored is null)
        {
            var value = protector.Protect(KnownValue);
            var inserted = await db.Database.ExecuteSqlInterpolatedAsync(
                $"INSERT INTO master_key_check (id, value) VALUES (1, {value}) ON CONFLICT (id) DO NOTHING", cancellationToken);
            if (inserted == 1)
            {
                return Result.Recorded;
            }

            stored = await ReadAsync(cancellationToken); // Another instance recorded it first.
        }

        return Decrypts(stored!) ? Result.Matches : Result.DoesNotMatch;
    }

    /// <summary>True when the configured key decrypts the stored check value, or none is stored yet.</summary>
    public async Task<bool> MatchesAsync(CancellationToken cancellationToken) =>
        await ReadAsync(cancellationToken) is not { } stored || Decrypts(stored);

    private async Task<byte[]?> ReadAsync(CancellationToken cancellationToken) =>
        await db.Database.SqlQuery<byte[]>($"SELECT value AS \"Value\" FROM master_key_check WHERE id = 1")
            .SingleOrDefaultAsync(cancellationToken);

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
