using Provisioning.Domain.Common;
using Provisioning.Domain.ServiceAccounts;
using Riok.Mapperly.Abstractions;

namespace Provisioning.Application.ServiceAccounts;

[Mapper]
public static partial class ServiceAccountMapper
{
    [MapperIgnoreSource(nameof(ServiceAccount.TenantId))]
    [MapperIgnoreSource(nameof(ServiceAccount.NormalizedName))]
    public static partial ServiceAccountDto ToDto(this ServiceAccount account);

    private static string MapId(ServiceAccountId id) => id.Value;
}
