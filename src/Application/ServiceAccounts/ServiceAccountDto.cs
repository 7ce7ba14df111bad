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

public static class ServiceAccountAccess
{
    /// <summary>Loads a service account of the caller's tenant, or throws 404 (a malformed id looks the same as a missing one).</summary>
    public static async Task<ServiceAccount> GetServiceAccountAsync(this IProvisioningDbContext db, Caller caller, string id, CancellationToken cancellationToken)
    {
        if (!IdGenerator.IsValid(id))
        {
            throw new NotFoundException("Service account");
        }

        var accountId = new ServiceAccountId(id);
        return await db.ServiceAccounts.FirstOrDefaultAsync(s => s.Id == accountId && s.TenantId == caller.TenantId, cancellationToken)
            ?? throw new NotFoundException("Service account");
    }

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
