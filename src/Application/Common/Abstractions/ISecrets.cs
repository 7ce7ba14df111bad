namespace Provisioning.Application.Common.Abstractions;

/// <summary>
/// Encrypts key secrets at rest with a key kept outside the database. Secrets are needed in
/// plaintext to check HS256 signatures, so they are encrypted rather than hashed.
/// </summary>
public interface ISecretProtector
{
    byte[] Protect(string secret);
    string Unprotect(ReadOnlyMemory<byte> protectedSecret);
}

/// <summary>One-way hashes for secrets that are only ever checked (provisioning keys).</summary>
public interface ISecretHasher
{
    byte[] Hash(string secret);

    /// <summary>Constant-time comparison of a presented secret with a stored hash.</summary>
    bool Verify(string secret, ReadOnlyMemory<byte> hash);
}

/// <summary>Makes new random secrets.</summary>
public interface ISecretGenerator
{
    string NewSecret();
}
