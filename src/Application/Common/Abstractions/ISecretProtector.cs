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
