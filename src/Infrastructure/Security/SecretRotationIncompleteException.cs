using Provisioning.Domain.Common;

namespace Provisioning.Infrastructure.Security;

/// <summary>
/// <c>rotate-secrets</c> could not put every stored secret under the current master key (another rotation runs, or a
/// transaction held a secret past the wait). The master-key check value was left as it was, so a service still needs
/// the previous keys, and starting with the new key alone is refused; running the verb again finishes the work.
/// </summary>
public sealed class SecretRotationIncompleteException(string message) : ExpectedException("rotation_incomplete", 409, message);
