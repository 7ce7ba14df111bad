using System.Security.Cryptography;
using System.Text;
using Provisioning.Application.Common.Abstractions;

namespace Provisioning.Infrastructure.Security;

/// <summary>
/// AES-256-GCM under the master key, with rotation: the current key encrypts, the current and every previous key
/// decrypt (<c>Provisioning:Secrets:PreviousMasterKeys</c>), and <see cref="SecretRotation"/> re-encrypts what an old
/// key protects. Layout, version 2: 2 | key id (4 bytes: the first bytes of SHA-256 of the key) | nonce (12) | tag (16) |
/// ciphertext. Version 1 (no key id, before rotation existed) is still read, by trying each key.
/// </summary>
public sealed class AesGcmSecretProtector : ISecretProtector, IDisposable
{
    private const byte Version1 = 1;
    private const byte Version2 = 2;
    private const int KeyIdSize = 4;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly byte[] _key;
    private readonly byte[] _keyId;
    private readonly IReadOnlyList<(byte[] Id, byte[] Key)> _decryptors;

    public AesGcmSecretProtector(byte[] masterKey, IEnumerable<byte[]>? previousMasterKeys = null)
    {
        if (masterKey.Length != 32)
        {
            throw new ArgumentException("The master key must be 32 bytes.", nameof(masterKey));
        }

        _key = masterKey;
        _keyId = KeyIdOf(masterKey);
        _decryptors = [(_keyId, masterKey), .. (previousMasterKeys ?? []).Select(k => (KeyIdOf(k), k))];
    }

    /// <summary>True when <paramref name="protectedSecret"/> is already under the current master key (nothing to rotate).</summary>
    public bool IsUnderCurrentKey(byte[] protectedSecret) =>
        protectedSecret.Length > 1 + KeyIdSize && protectedSecret[0] == Version2 && protectedSecret.AsSpan(1, KeyIdSize).SequenceEqual(_keyId);

    /// <summary>The current key's id as stored in version-2 secrets (for finding the ones to rotate in SQL).</summary>
    public byte[] CurrentKeyId => _keyId;

    /// <summary>
    /// The first bytes of every secret the current key writes (the layout's version and key id): what the database's rule
    /// <c>under_retired_master_key(bytea)</c> reads of a secret, so that it can be asked about the key itself.
    /// </summary>
    public byte[] CurrentKeyHeader => [Version2, .. _keyId];

    /// <summary>Whether the current key is retired, as this instance knows it: <see cref="Protect"/> then refuses.</summary>
    public MasterKeyRetirement Retirement { get; } = new();

    /// <summary>The container's, at a stop (the protector is a singleton): what <see cref="Retirement"/> holds back is said.</summary>
    public void Dispose() => Retirement.Dispose();

    private static byte[] KeyIdOf(byte[] key) => SHA256.HashData(key)[..KeyIdSize];

    /// <summary>
    /// SQL for the key id of the secret stored in <paramref name="column"/> (a <c>bytea</c>), NULL for a version-1 secret:
    /// the layout above, for statements that find secrets by the key they are under (compare with
    /// <c>IS [NOT] DISTINCT FROM</c> and <see cref="CurrentKeyId"/> as a parameter).
    /// </summary>
    public static string SqlKeyIdOf(string column) =>
        $"(CASE WHEN get_byte({column}, 0) = {Version2} THEN substring({column} FROM 2 FOR {KeyIdSize}) END)";

    /// <summary>Parses a configured master key, saying exactly what is wrong (and with which setting) when it cannot.</summary>
    public static byte[] ParseMasterKey(string? base64, string setting = "Provisioning:Secrets:MasterKey")
    {
        if (string.IsNullOrWhiteSpace(base64))
        {
            throw new InvalidSettingException(
                $"{setting} is not set. Set {setting.Replace(":", "__", StringComparison.Ordinal)} to the base64 of 32 random bytes " +
                "(for example: openssl rand -base64 32). It encrypts key secrets at rest and must be kept outside the database.");
        }

        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(base64.Trim());
        }
        catch (FormatException)
        {
            throw new InvalidSettingException($"{setting} is not valid base64. It must be the base64 of 32 random bytes.");
        }

        return bytes.Length == 32
            ? bytes
            : throw new InvalidSettingException($"{setting} decodes to {bytes.Length} bytes; it must be exactly 32.");
    }

    /// <exception cref="MasterKeyRetiredException">The current key is retired (<see cref="Retirement"/>).</exception>
    public byte[] Protect(string secret)
    {
        if (Retirement.IsRetired)
        {
            throw new MasterKeyRetiredException();
        }

        var plaintext = Encoding.UTF8.GetBytes(secret);
        var header = 1 + KeyIdSize;
        var output = new byte[header + NonceSize + TagSize + plaintext.Length];
        output[0] = Version2;
        _keyId.CopyTo(output, 1);
        var nonce = output.AsSpan(header, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, TagSize);
        aes.Encrypt(nonce, plaintext, output.AsSpan(header + NonceSize + TagSize), output.AsSpan(header + NonceSize, TagSize));
        return output;
    }

    /// <exception cref="MasterKeyMissingException">No configured key decrypts it: the message names the key's fingerprint the
    /// secret carries.</exception>
    /// <exception cref="SecretAlteredException">The key it names is configured and does not decrypt it.</exception>
    public string Unprotect(ReadOnlyMemory<byte> protectedSecret) =>
        TryUnprotect(protectedSecret, out var plaintext, out _) ? plaintext : throw Undecryptable(protectedSecret.Span);

    private CryptographicException Undecryptable(ReadOnlySpan<byte> protectedSecret)
    {
        const string none = "No configured master key decrypts this secret, ";
        if (protectedSecret[0] != Version2)
        {
            return new MasterKeyMissingException(none + "which is of version 1 (it names no key).");
        }

        // The id is not authenticated (not associated data): "names", not "is under".
        var keyId = protectedSecret.Slice(1, KeyIdSize);
        foreach (var (id, _) in _decryptors)
        {
            if (keyId.SequenceEqual(id))
            {
                return new SecretAlteredException(none + $"not even the one of fingerprint {Fingerprint(keyId)} it names: it was altered.");
            }
        }

        return new MasterKeyMissingException(none + $"which names the master key of fingerprint {Fingerprint(keyId)}.");
    }

    /// <summary>
    /// A key id as an operator compares it: lowercase hex, what <c>base64 -d | sha256sum | cut -c1-8</c> prints for the key
    /// and <c>encode(key_id, 'hex')</c> for <c>retired_master_keys</c>.
    /// </summary>
    public static string Fingerprint(ReadOnlySpan<byte> keyId) => Convert.ToHexStringLower(keyId);

    /// <summary>The id of the configured key that decrypts <paramref name="protectedSecret"/> (also a version-1 secret's, which names none), or null.</summary>
    public byte[]? KeyIdThatDecrypts(ReadOnlyMemory<byte> protectedSecret) =>
        TryUnprotect(protectedSecret, out _, out var keyId) ? keyId : null;

    private bool TryUnprotect(ReadOnlyMemory<byte> protectedSecret, out string plaintext, out byte[]? keyId)
    {
        var bytes = protectedSecret.Span;
        var header = bytes.Length > 0 && bytes[0] == Version2 ? 1 + KeyIdSize
            : bytes.Length > 0 && bytes[0] == Version1 ? 1
            : throw new CryptographicException("Unknown protected secret format.");
        if (bytes.Length < header + NonceSize + TagSize)
        {
            throw new CryptographicException("Unknown protected secret format.");
        }

        var candidates = header == 1
            ? _decryptors
            : _decryptors.Where(d => protectedSecret.Span.Slice(1, KeyIdSize).SequenceEqual(d.Id)).ToList();
        foreach (var (id, key) in candidates)
        {
            var decrypted = new byte[bytes.Length - header - NonceSize - TagSize];
            try
            {
                using var aes = new AesGcm(key, TagSize);
                aes.Decrypt(
                    bytes.Slice(header, NonceSize),
                    bytes.Slice(header + NonceSize + TagSize),
                    bytes.Slice(header + NonceSize, TagSize),
                    decrypted);
                plaintext = Encoding.UTF8.GetString(decrypted);
                keyId = id;
                return true;
            }
            catch (AuthenticationTagMismatchException)
            {
                // Another key's secret: try the next one.
            }
        }

        plaintext = string.Empty;
        keyId = null;
        return false;
    }
}
