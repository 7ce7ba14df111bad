namespace Provisioning.Application.Common.Abstractions;

/// <summary>
/// Stripe-style idempotency records. Every call runs inside the unit of work's current transaction, so a stored answer
/// and the effect it describes commit together or not at all.
/// </summary>
public interface IIdempotencyStore
{
    /// <summary>
    /// Takes the key for this transaction (a concurrent request with it gets <see cref="IdempotencyClaim.InProgress"/>)
    /// and looks for a stored answer; on <see cref="IdempotencyClaim.Run"/> it also marks where the effect starts, so
    /// <see cref="RollBackEffectAsync"/> can undo the effect and keep the claim.
    /// </summary>
    Task<(IdempotencyClaim Claim, StoredAnswer? Answer)> ClaimAsync(IdempotentRequest request, CancellationToken cancellationToken);

    /// <summary>Undoes everything written since <see cref="ClaimAsync"/> (the request failed with an answer worth keeping).</summary>
    Task RollBackEffectAsync(CancellationToken cancellationToken);

    /// <summary>Stores the answer (its body encrypted under the master key).</summary>
    Task SaveAsync(IdempotentRequest request, StoredAnswer answer, CancellationToken cancellationToken);
}
