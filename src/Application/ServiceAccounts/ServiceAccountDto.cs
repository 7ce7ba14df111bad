using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Exceptions;
using Provisioning.Application.Common.Security;
using Provisioning.Domain.Common;
using Provisioning.Domain.ServiceAccounts;
using Riok.Mapperly.Abstractions;
using Microsoft.EntityFrameworkCore;

namespace Provisioning.Application.ServiceAccounts;

public sealed record ServiceAccountDto(string Id, string DisplayName, DateTimeOffset CreatedAt);

[Mapper]
public static partial class ServiceAccountMapper
{
    [MapperIgnoreSource(nameof(ServiceAccount.TenantId))]
    [MapperIgnoreSource(nameof(ServiceAccount.NormalizedName))]
    public static partial ServiceAccountDto ToDto(this ServiceAccount account);

    private static string MapId(ServiceAccountId id) => id.Value;
}

/// <summary>Service-account rules that need the store.</summary>
public static class ServiceAccountNames
{
    /// <summary>Refuses a display name another service account of the tenant already has, in any case (409).</summary>
    public static async Task EnsureNameIsFreeAsync(this IProvisioningDbContext db, Caller caller, ServiceAccount account, CancellationToken cancellationToken)
    {
        if (await db.ServiceAccounts.AnyAsync(
                s => s.TenantId == caller.TenantId && s.NormalizedName == account.NormalizedName && s.Id != account.Id, cancellationToken))
        {
            throw new ConflictException($"A service account named '{account.DisplayName}' already exists.");
        }
    }
}
