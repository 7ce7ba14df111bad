using System.Text;
using Provisioning.Domain.Credentials;

namespace Provisioning.Application.Common.Abstractions;

/// <summary>
/// Where a stored secret belongs: its column and the identity of its row, authenticated with the secret's ciphertext
/// (<see cref="ISecretProtector"/>), so that a ciphertext copied into another row — by someone who can write to the
/// database but has no master key — does not decrypt there: not to read it through another key's answer, nor to make a
/// key of another tenant or kind with a secret one knows.
/// </summary>
public readonly record struct SecretBinding
{
    private SecretBinding(string column, params string?[] row) => Bytes = Encode(column, row);

    /// <summary>
    /// The associated data: each part length-prefixed, so that no two bindings' parts run together into one. Never null but
    /// for <c>default(SecretBinding)</c>, which names no row and which the protector refuses.
    /// </summary>
    public byte[] Bytes { get; }

    /// <summary>
    /// An API key's secret: its id, kind (as the number stored, so that renaming a kind in code changes nothing), tenant and
    /// owner (each fixed once it is made).
    /// </summary>
    public static SecretBinding OfKey(string id, KeyKind kind, string tenantId, string? serviceAccountId, string? appId) =>
        new("api_keys.protected_secret", id, ((short)kind).ToString(System.Globalization.CultureInfo.InvariantCulture), tenantId, serviceAccountId, appId);

    public static SecretBinding OfKey(ApiKey key) =>
        OfKey(key.Id.Value, key.Kind, key.TenantId.Value, key.ServiceAccountId?.Value, key.AppId?.Value);

    /// <summary>An idempotent request's stored answer: the credential it is stored for and its <c>Idempotency-Key</c>.</summary>
    public static SecretBinding OfStoredAnswer(string scope, string key) => new("idempotency_records.protected_body", scope, key);

    /// <summary>The master-key check's known value.</summary>
    public static SecretBinding CheckValue { get; } = new("master_key_check.value");

    private static byte[] Encode(string column, string?[] row)
    {
        var text = new StringBuilder("provisioning secret binding 1");
        foreach (var part in (string?[])[column, .. row])
        {
            // A missing part (no owner) is not an empty one.
            text.Append('\n').Append(part is null ? "-" : $"{part.Length}:{part}");
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }
}
