using System.Security.Cryptography;
using System.Text;
using Provisioning.Application.Common.Abstractions;

namespace Provisioning.Infrastructure.Security;

/// <summary>
/// AES-256-GCM with the master key. Layout: version (1 byte) | nonce (12) | tag (16) | ciphertext.
/// The version byte leaves room for master-key rotation.
/// </summary>
public sealed class AesGcmSecretProtector : ISecretProtector
{
    private const byte Version = 1;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly byte[] _key;

    public AesGcmSecretProtector(byte[] masterKey)
    {
        if (masterKey.Length != 32)
        {
            throw new ArgumentException("The master key must be 32 bytes.", nameof(masterKey));
        }

        _key = masterKey;
    }

    /// <summary>Parses the configured master key, saying exactly what is wrong when it cannot.</summary>
    public static byte[] ParseMasterKey(string? base64)
    {
        if (string.IsNullOrWhiteSpace(base64))
        {
            throw new InvalidOperationException(
                "Provisioning:Secrets:MasterKey is not set. Set Provisioning__Secrets__MasterKey to the base64 of 32 random bytes " +
                "(for example: openssl rand -base64 32). It encrypts key secrets at rest and must be kept outside the database.");
        }

        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(base64.Trim());
        }
        catch (FormatException)
        {
            throw new InvalidOperationException("Provisioning:Secrets:MasterKey is not valid base64. It must be the base64 of 32 random bytes.");
        }

        return bytes.Length == 32
            ? bytes
            : throw new InvalidOperationException($"Provisioning:Secrets:MasterKey decodes to {bytes.Length} bytes; it must be exactly 32.");
    }

    public byte[] Protect(string secret)
    {
        var plaintext = Encoding.UTF8.GetBytes(secret);
        var output = new byte[1 + NonceSize + TagSize + plaintext.Length];
        output[0] = Version;
        var nonce = output.AsSpan(1, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, TagSize);
        aes.Encrypt(nonce, plaintext, output.AsSpan(1 + NonceSize + TagSize), output.AsSpan(1 + NonceSize, TagSize));
        return output;
    }

    public string Unprotect(byte[] protectedSecret)
    {
        if (protectedSecret.Length < 1 + NonceSize + TagSize || protectedSecret[0] != Version)
        {
            throw new CryptographicException("Unknown protected secret format.");
        }

        var plaintext = new byte[protectedSecret.Length - 1 - NonceSize - TagSize];
        using var aes = new AesGcm(_key, TagSize);
        aes.Decrypt(
            protectedSecret.AsSpan(1, NonceSize),
            protectedSecret.AsSpan(1 + NonceSize + TagSize),
            protectedSecret.AsSpan(1 + NonceSize, TagSize),
            plaintext);
        return Encoding.UTF8.GetString(plaintext);
    }
}
