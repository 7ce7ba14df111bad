namespace Provisioning.Application.Common.Abstractions;

/// <summary>A request sent with <c>Idempotency-Key</c>: the credential it is scoped to, the key, and a hash of the request.</summary>
public sealed record IdempotentRequest(string Scope, string Key, byte[] Fingerprint);

/// <summary>An answer as it was sent: status, content type, <c>Location</c> and body bytes.</summary>
public sealed record StoredAnswer(int Status, string? ContentType, string? Location, byte[] Body);

/// <summary>What the store says about a key when a request arrives with it.</summary>
public enum IdempotencyClaim
{
    /// <summary>First time: the request runs, and its answer is saved in the same transaction.</summary>
    Run,

    /// <summary>The same request ran before: its answer is sent again.</summary>
    Replay,

    /// <summary>A different request ran with this key: 422, nothing runs.</summary>
    Reused,

    /// <summary>A request with this key is running right now: 409 with <c>Retry-After</c>, nothing runs.</summary>
    InProgress,
}

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
