using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Infrastructure.Persistence;

namespace Provisioning.Infrastructure.Idempotency;

/// <summary>
/// Idempotency records in PostgreSQL. The claim is one round trip: a transaction-scoped advisory lock on the (credential,
/// key) pair — held by the running request until it commits or rolls back, so a concurrent send sees "in progress" —,
/// the stored answer if any, and a savepoint where the effect starts.
/// </summary>
internal sealed class IdempotencyStore(ProvisioningDbContext db, ISecretProtector protector, TimeProvider clock) : IIdempotencyStore
{
    private const string EffectSavepoint = "idempotent_effect";

    /// <summary>Separates this lock space from other advisory locks (hashtextextended's seed).</summary>
    private const long LockSeed = 0x1d3e_7a11;

    public async Task<(IdempotencyClaim Claim, StoredAnswer? Answer)> ClaimAsync(IdempotentRequest request, CancellationToken cancellationToken)
    {
        var transaction = db.Database.CurrentTransaction?.GetDbTransaction() as NpgsqlTransaction
            ?? throw new InvalidOperationException("An idempotent request runs inside the unit of work's transaction.");
        await using var batch = new NpgsqlBatch((NpgsqlConnection)db.Database.GetDbConnection(), transaction)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("SELECT pg_try_advisory_xact_lock(hashtextextended($1 || chr(31) || $2, $3))")
                {
                    Parameters = { new() { Value = request.Scope }, new() { Value = request.Key }, new() { Value = LockSeed } },
                },
                new NpgsqlBatchCommand(
                    "SELECT fingerprint, status, content_type, location, protected_body FROM idempotency_records WHERE scope = $1 AND key = $2")
                {
                    Parameters = { new() { Value = request.Scope }, new() { Value = request.Key } },
                },
                new NpgsqlBatchCommand($"SAVEPOINT {EffectSavepoint}"),
            },
        };

        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var locked = reader.GetBoolean(0);
        await reader.NextResultAsync(cancellationToken);
        if (await reader.ReadAsync(cancellationToken))
        {
            var fingerprint = (byte[])reader[0];
            if (!fingerprint.AsSpan().SequenceEqual(request.Fingerprint))
            {
                return (IdempotencyClaim.Reused, null);
            }

            var body = protector.Unprotect((byte[])reader[4]);
            var answer = new StoredAnswer(
                reader.GetInt32(1),
                reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3),
                Encoding.UTF8.GetBytes(body));
            return (IdempotencyClaim.Replay, answer);
        }

        return (locked ? IdempotencyClaim.Run : IdempotencyClaim.InProgress, null);
    }

    public async Task RollBackEffectAsync(CancellationToken cancellationToken)
    {
        await db.Database.ExecuteSqlRawAsync($"ROLLBACK TO SAVEPOINT {EffectSavepoint}", cancellationToken);
        db.ChangeTracker.Clear();
    }

    public async Task SaveAsync(IdempotentRequest request, StoredAnswer answer, CancellationToken cancellationToken)
    {
        var protectedBody = protector.Protect(Encoding.UTF8.GetString(answer.Body));
        await db.Database.ExecuteSqlInterpolatedAsync(
            $"""
            INSERT INTO idempotency_records (scope, key, fingerprint, status, content_type, location, protected_body, created_at)
            VALUES ({request.Scope}, {request.Key}, {request.Fingerprint}, {answer.Status}, {answer.ContentType}, {answer.Location},
                    {protectedBody}, {clock.GetUtcNow()})
            """,
            cancellationToken);
    }
}
