using System.Security.Cryptography;

namespace Provisioning.Infrastructure.Security;

/// <summary>
/// A stored secret that names a configured master key and does not decrypt with it: its bytes were changed (by hand, a
/// faulty restore, a disk). No key will decrypt it; giving more keys does not help.
/// </summary>
public sealed class SecretAlteredException(string message) : CryptographicException(message);
