namespace Provisioning.Infrastructure.Security;

/// <summary>
/// This instance's master key is one a finished <c>rotate-secrets</c> retired (<see cref="MasterKeyCheck.Result.Retired"/>):
/// it writes no new secret under it, as the database refuses one under it (<c>PX503</c>). A request that would
/// store one (a key's creation, a request with an <c>Idempotency-Key</c>) answers 503 and its effect is rolled back; its
/// retry succeeds on an instance that runs the new key. The cure is a restart with the new key.
/// </summary>
public sealed class MasterKeyRetiredException()
    : Exception("This instance's Provisioning:Secrets:MasterKey was retired by a finished rotate-secrets: it writes no new " +
        "secret under it. Restart it with the key the rotation moved the secrets to (docs/operations.md, \"Rotate the master key\").");
