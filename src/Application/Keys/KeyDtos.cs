using Provisioning.Domain.Credentials;
using Riok.Mapperly.Abstractions;

namespace Provisioning.Application.Keys;

/// <summary>An account or service-account key. <see cref="Secret"/> is null where it is not shown (account keys after creation).</summary>
public sealed record KeyDto(
    string Id,
    string DisplayName,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? Secret,
    DateTimeOffset CreatedAt,
    DateTimeOffset? LastUsedAt,
    bool Disabled,
    DateTimeOffset? ExpiresAt);

/// <summary>An app key, as Sunshine Conversations shows it: always with its secret.</summary>
public sealed record AppKeyDto(string Id, string DisplayName, string Secret, bool Disabled, DateTimeOffset? ExpiresAt);

/// <summary>A JWT issued for a key.</summary>
public sealed record JwtDto(string Jwt);

[Mapper]
public static partial class KeyMapper
{
    [MapperIgnoreSource(nameof(ApiKey.Kind))]
    [MapperIgnoreSource(nameof(ApiKey.TenantId))]
    [MapperIgnoreSource(nameof(ApiKey.ServiceAccountId))]
    [MapperIgnoreSource(nameof(ApiKey.AppId))]
    [MapperIgnoreSource(nameof(ApiKey.ProtectedSecret))]
    [MapperIgnoreSource(nameof(ApiKey.IsTenantToken))]
    public static partial KeyDto ToDto(this ApiKey key, string? secret);

    [MapperIgnoreSource(nameof(ApiKey.Kind))]
    [MapperIgnoreSource(nameof(ApiKey.TenantId))]
    [MapperIgnoreSource(nameof(ApiKey.ServiceAccountId))]
    [MapperIgnoreSource(nameof(ApiKey.AppId))]
    [MapperIgnoreSource(nameof(ApiKey.ProtectedSecret))]
    [MapperIgnoreSource(nameof(ApiKey.IsTenantToken))]
    [MapperIgnoreSource(nameof(ApiKey.CreatedAt))]
    [MapperIgnoreSource(nameof(ApiKey.LastUsedAt))]
    public static partial AppKeyDto ToAppKeyDto(this ApiKey key, string secret);

    private static string MapKeyId(KeyId id) => id.Value;
}
