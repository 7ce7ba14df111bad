using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Exceptions;
using Provisioning.Application.Common.Security;
using Provisioning.Domain.Credentials;
using Riok.Mapperly.Abstractions;

namespace Provisioning.Application.ProvisioningKeys;

/// <summary>A provisioning key. <see cref="Secret"/> is only ever set in the create response.</summary>
public sealed record ProvisioningKeyDto(
    string Id,
    string DisplayName,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Secret,
    DateTimeOffset CreatedAt,
    bool Disabled,
    DateTimeOffset? ExpiresAt);

[Mapper]
public static partial class ProvisioningKeyMapper
{
    [MapperIgnoreSource(nameof(ProvisioningKey.TenantId))]
    [MapperIgnoreSource(nameof(ProvisioningKey.SecretHash))]
    public static partial ProvisioningKeyDto ToDto(this ProvisioningKey key, string? secret);

    private static string MapKeyId(KeyId id) => id.Value;
}

public static class ProvisioningKeyAccess
{
    public static async Task<ProvisioningKey> GetProvisioningKeyAsync(this IProvisioningDbContext db, Caller caller, string id, CancellationToken cancellationToken)
    {
        if (!KeyId.IsProvisioning(id))
        {
            throw new NotFoundException("Provisioning key");
        }

        var keyId = new KeyId(id);
        return await db.ProvisioningKeys.FirstOrDefaultAsync(k => k.Id == keyId && k.TenantId == caller.TenantId, cancellationToken)
            ?? throw new NotFoundException("Provisioning key");
    }
}
