using System.Security.Cryptography;
using System.Text;
using Provisioning.Application.Common.Abstractions;

namespace Provisioning.Infrastructure.Security;

/// <summary>
/// AES-256-GCM under the master key, with rotation: the current key encrypts, the current and every previous key
/// decrypt (<c>Provisioning:Secrets:PreviousMasterKeys</c>), and <see cref="SecretRotation"/> re-encrypts what an old
/// key protects. Layout, version 3: 3 | key id (4 bytes: the first bytes of SHA-256 of the key) | salt (16) | nonce (12) |
/// tag (16) | ciphertext, sealed under a key derived from the master key and the salt (HKDF-SHA256), with the secret's
/// <see cref="SecretBinding"/> as associated data (so it decrypts only where it was stored). A key of its own for each seal
/// takes away the bound on how many secrets one key may seal with random nonces (2^32, which keyed writes would reach
/// in time on a busy installation). Version 2 (3's layout without the salt, under the master key itself, bound to
/// nothing; 2026-12-02 to 2026-12-06) and version 1 (no key id, before rotation existed; read by trying each key) are
/// still read, and <see cref="SecretRotation"/> rewrites both as version 3 (also under the same key): until then a copy
/// of such a secret into another row decrypts there.
/// </summary>
public sealed class AesGcmSecretProtector : ISecretProtector, IDisposable
{
    private const byte Version1 = 1;
    private const byte Version2 = 2;
    private const byte Version3 = 3;
    private const int KeyIdSize = 4;
    private const int SaltSize = 16;
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

    /// <summary>True when <paramref name="protectedSecret"/> is already as the current master key writes it (nothing to rotate).</summary>
    public bool IsUnderCurrentKey(byte[] protectedSecret) =>
        protectedSecret.Length > 1 + KeyIdSize && protectedSecret.AsSpan(0, 1 + KeyIdSize).SequenceEqual(CurrentKeyHeader);

    /// <summary>The current key's id as stored in version-2 and version-3 secrets (what a rotation retires, as fingerprints).</summary>
    public byte[] CurrentKeyId => _keyId;

    /// <summary>
    /// The first bytes of every secret the current key writes (the layout's version and key id): what the database's rule
    /// <c>under_retired_master_key(bytea)</c> reads of a secret, so that it can be asked about the key itself.
    /// </summary>
    public byte[] CurrentKeyHeader => [Version3, .. _keyId];

    /// <summary>
    /// The versions whose secrets name their key (by id, after the version byte): what the database's one rule of a secret
    /// under a retired key, <c>under_retired_master_key(bytea)</c>, must read, each of them (a test holds the two together).
    /// </summary>
    public static IReadOnlyList<byte> VersionsNamingTheirKey { get; } = [Version2, Version3];

    /// <summary>Whether the current key is retired, as this instance knows it: <see cref="Protect"/> then refuses.</summary>
    public MasterKeyRetirement Retirement { get; } = new();

    /// <summary>The container's, at a stop (the protector is a singleton): what <see cref="Retirement"/> holds back is said.</summary>
    public void Dispose() => Retirement.Dispose();

    private static byte[] KeyIdOf(byte[] key) => SHA256.HashData(key)[..KeyIdSize];

    /// <summary>A binding's associated data; never that of <c>default(SecretBinding)</c>, which AES-GCM would take as none.</summary>
    private static byte[] BytesOf(SecretBinding binding) =>
        binding.Bytes ?? throw new ArgumentException("A secret is sealed bound to where it is stored; default(SecretBinding) names nowhere.", nameof(binding));

    /// <summary>A version-3 secret's own key: HKDF-SHA256 of the master key with the secret's salt.</summary>
    private static byte[] SealingKey(byte[] masterKey, ReadOnlySpan<byte> salt)
    {
        var key = new byte[32];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, masterKey, key, salt, "provisioning stored secret, version 3"u8);
        return key;
    }

    /// <summary>
    /// SQL for the version and key id that begin the secret stored in <paramref name="column"/> (a <c>bytea</c>): the layout
    /// above, for statements that find the secrets not yet as the current key writes them (compare with
    /// <c>IS [NOT] DISTINCT FROM</c> and <see cref="CurrentKeyHeader"/> as a parameter).
    /// </summary>
    public static string SqlHeaderOf(string column) => $"substring({column} FROM 1 FOR {1 + KeyIdSize})";

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
    public byte[] Protect(string secret, SecretBinding binding)
    {
        if (Retirement.IsRetired)
        {
            throw new MasterKeyRetiredException();
        }

        var plaintext = Encoding.UTF8.GetBytes(secret);
        var header = 1 + KeyIdSize + SaltSize;
        var output = new byte[header + NonceSize + TagSize + plaintext.Length];
        output[0] = Version3;
        _keyId.CopyTo(output, 1);
        RandomNumberGenerator.Fill(output.AsSpan(1 + KeyIdSize, SaltSize + NonceSize));
        using var aes = new AesGcm(SealingKey(_key, output.AsSpan(1 + KeyIdSize, SaltSize)), TagSize);
        aes.Encrypt(output.AsSpan(header, NonceSize), plaintext, output.AsSpan(header + NonceSize + TagSize),
            output.AsSpan(header + NonceSize, TagSize), BytesOf(binding));
        return output;
    }

    /// <exception cref="MasterKeyMissingException">No configured key decrypts it: the message names the key's fingerprint the
    /// secret carries.</exception>
    /// <exception cref="SecretAlteredException">The key it names is configured and does not decrypt it (altered, or not stored
    /// where <paramref name="binding"/> says: copied from another row).</exception>
    public string Unprotect(ReadOnlyMemory<byte> protectedSecret, SecretBinding binding) =>
        TryUnprotect(protectedSecret, binding, out var plaintext, out _) ? plaintext : throw Undecryptable(protectedSecret.Span);

    private CryptographicException Undecryptable(ReadOnlySpan<byte> protectedSecret)
    {
        const string none = "No configured master key decrypts this secret, ";
        if (protectedSecret[0] == Version1)
        {
            return new MasterKeyMissingException(none + "which is of version 1 (it names no key).");
        }

        // The id is not authenticated (not associated data): "names", not "is under".
        var keyId = protectedSecret.Slice(1, KeyIdSize);
        foreach (var (id, _) in _decryptors)
        {
            if (keyId.SequenceEqual(id))
            {
                return new SecretAlteredException(none + $"not even the one of fingerprint {Fingerprint(keyId)} it names: it was altered, " +
                                                  "or copied from where it was stored.");
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
    public byte[]? KeyIdThatDecrypts(ReadOnlyMemory<byte> protectedSecret, SecretBinding binding) =>
        TryUnprotect(protectedSecret, binding, out _, out var keyId) ? keyId : null;

    private bool TryUnprotect(ReadOnlyMemory<byte> protectedSecret, SecretBinding binding, out string plaintext, out byte[]? keyId)
    {
        var bytes = protectedSecret.Span;
        var version = bytes.Length > 0 ? bytes[0] : (byte)0;
        var header = version == Version3 ? 1 + KeyIdSize + SaltSize
            : version == Version2 ? 1 + KeyIdSize
            : version == Version1 ? 1
            : throw new CryptographicException("Unknown protected secret format.");
        // Only version 3 is bound (older ones were written before bindings, and decrypt anywhere until rotated).
        var associatedData = version == Version3 ? BytesOf(binding) : [];
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
                using var aes = new AesGcm(version == Version3 ? SealingKey(key, bytes.Slice(1 + KeyIdSize, SaltSize)) : key, TagSize);
                aes.Decrypt(
                    bytes.Slice(header, NonceSize),
                    bytes.Slice(header + NonceSize + TagSize),
                    bytes.Slice(header + NonceSize, TagSize),
                    decrypted,
                    associatedData);
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
