namespace Provisioning.Application.Common.Abstractions;

/// <summary>
/// Encrypts key secrets at rest with a key kept outside the database. Secrets are needed in
/// plaintext to check HS256 signatures, so they are encrypted rather than hashed. Each is bound to where it is stored
/// (<see cref="SecretBinding"/>): it decrypts only with the binding it was written with.
/// </summary>
public interface ISecretProtector
{
    byte[] Protect(string secret, SecretBinding binding);

    string Unprotect(ReadOnlyMemory<byte> protectedSecret, SecretBinding binding);
}
