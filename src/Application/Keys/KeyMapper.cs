using Provisioning.Domain.Credentials;
using Riok.Mapperly.Abstractions;

namespace Provisioning.Application.Keys;

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
