using Provisioning.Domain.Credentials;
using Riok.Mapperly.Abstractions;

namespace Provisioning.Application.ProvisioningKeys;

[Mapper]
public static partial class ProvisioningKeyMapper
{
    [MapperIgnoreSource(nameof(ProvisioningKey.TenantId))]
    [MapperIgnoreSource(nameof(ProvisioningKey.SecretHash))]
    public static partial ProvisioningKeyDto ToDto(this ProvisioningKey key, string? secret);

    private static string MapKeyId(KeyId id) => id.Value;
}
