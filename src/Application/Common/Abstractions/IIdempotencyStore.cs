namespace Provisioning.Application.Common.Abstractions;

/// <summary>
/// Stripe-style idempotency records. <see cref="ClaimAsync"/> and <see cref="SaveAsync"/> run inside the unit of work's
/// current transaction, so a stored answer and the effect it describes commit together or not at all.
/// </summary>
public interface IIdempotencyStore
{
    /// <summary>
    /// Takes the key for this transaction (a concurrent request with it gets <see cref="IdempotencyClaim.InProgress"/>)
    /// and looks for a stored answer.
    /// </summary>
    Task<(IdempotencyClaim Claim, StoredAnswer? Answer)> ClaimAsync(IdempotentRequest request, CancellationToken cancellationToken);

    /// <summary>Stores the answer (its body encrypted under the master key) in the current transaction.</summary>
    Task SaveAsync(IdempotentRequest request, StoredAnswer answer, CancellationToken cancellationToken);

    /// <summary>
    /// Stores the answer of a request whose transaction was rolled back (an error answer worth keeping), in a transaction
    /// of its own, unless the key is stored or held by another request by now (then that request's answer is the one kept).
    /// </summary>
    Task SaveAfterRollbackAsync(IdempotentRequest request, StoredAnswer answer, CancellationToken cancellationToken);
}
