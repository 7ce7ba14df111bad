using Npgsql;

namespace Provisioning.Infrastructure.Persistence;

/// <summary>
/// Statements the unit of work sends in the same round trip as its <c>COMMIT</c> (one batch: the statements, then
/// <c>COMMIT</c>). For a write whose outcome nothing in the request waits for — the stored answer of an idempotent
/// request, an audit event — this saves a round trip while keeping it in the transaction: if a statement fails,
/// PostgreSQL skips the rest of the batch, the <c>COMMIT</c> included, and the transaction is rolled back as after any
/// failure. Scoped: one per request, emptied by every commit and rollback.
/// </summary>
internal sealed class CommitTail(ProvisioningDbContext db)
{
    private List<NpgsqlBatchCommand>? _statements;
    private CommitProof? _proof;

    /// <summary>Queues <paramref name="statement"/> for the COMMIT of the unit of work's open transaction (there must be one).</summary>
    public void Add(NpgsqlBatchCommand statement)
    {
        if (db.Database.CurrentTransaction is null)
        {
            throw new InvalidOperationException("A statement sent with the COMMIT needs the unit of work's transaction; send the change as a command.");
        }

        (_statements ??= []).Add(statement);
    }

    /// <summary>
    /// How to tell, from another connection, whether the statements committed (<see cref="CommitProof"/>): the first one
    /// given since the last <see cref="Take"/> is kept (any row the transaction writes proves all of it).
    /// </summary>
    public void Prove(CommitProof proof) => _proof ??= proof;

    /// <summary>What was added since the last call, and forgets it.</summary>
    public (List<NpgsqlBatchCommand>? Statements, CommitProof? Proof) Take()
    {
        var taken = (_statements, _proof);
        _statements = null;
        _proof = null;
        return taken;
    }
}
