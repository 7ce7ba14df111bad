using Provisioning.Domain.Common;

namespace Provisioning.Application.Common.Exceptions;

/// <summary>
/// The claim of an <c>Idempotency-Key</c> was refused by the database: another request holds the key right now, or a
/// request with it has already stored its answer. The transaction it was sent in is rolled back, so nothing of this
/// request stays; the idempotency middleware looks the stored answer up and sends it (its replay, or 422 for a different
/// request), or 409 while there is none. It derives from <see cref="ExpectedException"/> so the
/// pipeline does not log it as a fault; should it ever reach the error mapper, it is a 409.
/// </summary>
public sealed class IdempotencyKeyTakenException() : ExpectedException("conflict", 409, StillRunning)
{
    /// <summary>The 409's text, also where the idempotency middleware answers it itself.</summary>
    public const string StillRunning = "A request with this Idempotency-Key is still running; retry once it has finished.";
}
