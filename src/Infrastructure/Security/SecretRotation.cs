using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Npgsql;
using Provisioning.Infrastructure.Persistence;

namespace Provisioning.Infrastructure.Security;

/// <summary>
/// <c>rotate-secrets</c>: re-encrypts every stored secret under the current master key, in bounded batches, while the
/// service runs. Each batch is one short transaction that locks only the rows it rewrites (<c>FOR UPDATE SKIP
/// LOCKED</c>), so requests never wait on it for long; a secret already under the current key is never touched, so an
/// interrupted rotation simply runs again and finishes. The master-key check value goes last: once it is under the new
/// key, a service started with only the new key is accepted, and every secret decrypts with it.
/// </summary>
public sealed class SecretRotation(ProvisioningDbContext db, AesGcmSecretProtector protector, ILogger<SecretRotation> logger)
{
    public const int DefaultBatchSize = 500;

    /// <summary>Rotates everything; returns how many secrets were re-encrypted.</summary>
    public async Task<int> RotateAsync(int batchSize, Action<int>? progress, CancellationToken cancellationToken)
    {
        var total = 0;
        while (true)
        {
            var rewritten = await RotateBatchAsync(batchSize, cancellationToken)
                + await RotateStoredAnswersBatchAsync(batchSize, cancellationToken);
            if (rewritten == 0)
            {
                break;
            }

            total += rewritten;
            progress?.Invoke(total);
        }

        await RotateCheckValueAsync(cancellationToken);
        logger.LogInformation("Re-encrypted {Count} stored secrets under the current master key", total);
        return total;
    }

    /// <summary>How many stored secrets (keys and stored idempotent answers) are not yet under the current master key.</summary>
    public async Task<int> PendingAsync(CancellationToken cancellationToken) =>
        await db.Database.SqlQuery<int>(
                $"""
                SELECT ((SELECT count(*) FROM api_keys
                         WHERE NOT (get_byte(protected_secret, 0) = 2 AND substring(protected_secret FROM 2 FOR 4) = {protector.CurrentKeyId}))
                      + (SELECT count(*) FROM idempotency_records
                         WHERE NOT (get_byte(protected_body, 0) = 2 AND substring(protected_body FROM 2 FOR 4) = {protector.CurrentKeyId})))::int AS "Value"
                """)
            .SingleAsync(cancellationToken);

    private async Task<int> RotateBatchAsync(int batchSize, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var batch = await db.Database.SqlQuery<StoredSecret>(
                $"""
                SELECT id, protected_secret AS secret FROM api_keys
                WHERE NOT (get_byte(protected_secret, 0) = 2 AND substring(protected_secret FROM 2 FOR 4) = {protector.CurrentKeyId})
                ORDER BY id LIMIT {batchSize} FOR UPDATE SKIP LOCKED
                """)
            .ToListAsync(cancellationToken);
        foreach (var row in batch)
        {
            var rewritten = protector.Protect(protector.Unprotect(row.Secret));
            await db.Database.ExecuteSqlInterpolatedAsync(
                $"UPDATE api_keys SET protected_secret = {rewritten} WHERE id = {row.Id}", cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return batch.Count;
    }

    /// <summary>Stored idempotent answers (they may hold a new key's secret or a tenant token) are re-encrypted the same way.</summary>
    private async Task<int> RotateStoredAnswersBatchAsync(int batchSize, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var batch = await db.Database.SqlQuery<StoredAnswer>(
                $"""
                SELECT scope, key, protected_body AS body FROM idempotency_records
                WHERE NOT (get_byte(protected_body, 0) = 2 AND substring(protected_body FROM 2 FOR 4) = {protector.CurrentKeyId})
                ORDER BY scope, key LIMIT {batchSize} FOR UPDATE SKIP LOCKED
                """)
            .ToListAsync(cancellationToken);
        foreach (var row in batch)
        {
            var rewritten = protector.Protect(protector.Unprotect(row.Body));
            await db.Database.ExecuteSqlInterpolatedAsync(
                $"UPDATE idempotency_records SET protected_body = {rewritten} WHERE scope = {row.Scope} AND key = {row.Key}", cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return batch.Count;
    }

    private async Task RotateCheckValueAsync(CancellationToken cancellationToken)
    {
        var stored = await db.Database.SqlQuery<byte[]>($"SELECT value AS \"Value\" FROM master_key_check WHERE id = 1")
            .SingleOrDefaultAsync(cancellationToken);
        if (stored is not null && !protector.IsUnderCurrentKey(stored))
        {
            var rewritten = protector.Protect(protector.Unprotect(stored));
            await db.Database.ExecuteSqlInterpolatedAsync($"UPDATE master_key_check SET value = {rewritten} WHERE id = 1", cancellationToken);
        }
    }

    private sealed record StoredSecret(string Id, byte[] Secret);

    private sealed record StoredAnswer(string Scope, string Key, byte[] Body);
}
