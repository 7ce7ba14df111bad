namespace Provisioning.Application.Common.Abstractions;

/// <summary>
/// Stripe-style idempotency records. <see cref="Claim"/> and <see cref="SaveAsync"/> act inside the unit of work's
/// current transaction, so a stored answer and the effect it describes commit together or not at all.
/// </summary>
public interface IIdempotencyStore
{
    /// <summary>
    /// Takes the key for this transaction, before anything else the transaction does, in no round trip of its own: the
    /// claim is sent in front of the transaction's first statement (or with its <c>COMMIT</c> if it sends none). When
    /// another request holds the key, or one has stored its answer, that statement fails, the transaction is rolled back,
    /// and the unit of work throws <see cref="Exceptions.IdempotencyKeyTakenException"/>; <see cref="FindAsync"/> then
    /// tells a replay from a reused key.
    /// </summary>
    void Claim(IdempotentRequest request);

    /// <summary>The stored answer for this key, outside any transaction: <see cref="IdempotencyClaim.Replay"/> with it,
    /// <see cref="IdempotencyClaim.Reused"/> when it answered a different request; when none is stored,
    /// <see cref="IdempotencyClaim.InProgress"/> while another transaction holds the key, else <see cref="IdempotencyClaim.Run"/>.</summary>
    Task<(IdempotencyClaim Claim, StoredAnswer? Answer)> FindAsync(IdempotentRequest request, CancellationToken cancellationToken);

    /// <summary>Stores the answer (its body encrypted under the master key) in the current transaction.</summary>
    Task SaveAsync(IdempotentRequest request, StoredAnswer answer, CancellationToken cancellationToken);

    /// <summary>
    /// Stores the answer of a request whose transaction was rolled back (an error answer worth keeping), in a transaction
    /// of its own, unless the key is stored or held by another request (then that answer is the one kept, and the result
    /// is false). The claim may never have reached the database: the error can come before the first statement.
    /// </summary>
    Task<bool> SaveAfterRollbackAsync(IdempotentRequest request, StoredAnswer answer, CancellationToken cancellationToken);
}
