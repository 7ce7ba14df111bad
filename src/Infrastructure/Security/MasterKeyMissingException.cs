using System.Security.Cryptography;

namespace Provisioning.Infrastructure.Security;

/// <summary>
/// A stored secret under a master key this instance was not given (neither <c>Provisioning:Secrets:MasterKey</c> nor a
/// previous key): the message names that key's fingerprint. A matter of the instance's configuration, not a defect — a
/// database restored beneath running instances under another key, a rotation's old key dropped while a secret is still
/// under it — so a request that needs the secret answers 503 as an outage does (<c>Persistence/DatabaseUnavailable</c>;
/// it answered 500, "report it", in a probe), its log line naming the key; <c>/readyz</c> and the start refuse when the
/// check value is under a key not given (<c>MasterKeyCheck</c>), not when one secret is. A secret that names a configured
/// key and still does not decrypt is <see cref="SecretAlteredException"/> (500: no key helps). A version-1 secret (the
/// 2026-11-23 release's) names no key: one that does not decrypt is counted here, since an altered one cannot be told
/// from one under a key not given.
/// </summary>
public sealed class MasterKeyMissingException(string message) : CryptographicException(message);
