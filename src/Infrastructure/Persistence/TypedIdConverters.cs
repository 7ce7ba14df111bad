using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Provisioning.Domain.Common;
using Provisioning.Domain.Credentials;

namespace Provisioning.Infrastructure.Persistence;

internal static class TypedIdConverters
{
    public sealed class TenantIdConverter() : ValueConverter<TenantId, string>(v => v.Value, v => new TenantId(v));

    public sealed class AppIdConverter() : ValueConverter<AppId, string>(v => v.Value, v => new AppId(v));

    public sealed class ServiceAccountIdConverter() : ValueConverter<ServiceAccountId, string>(v => v.Value, v => new ServiceAccountId(v));

    public sealed class KeyIdConverter() : ValueConverter<KeyId, string>(v => v.Value, v => new KeyId(v));
}
