using Microsoft.EntityFrameworkCore;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Exceptions;
using Provisioning.Domain.ServiceAccounts;

namespace Provisioning.Application.ServiceAccounts;

/// <summary>Service-account rules that need the store.</summary>
public static class ServiceAccountNames
{
    /// <summary>Refuses a display name another service account of the tenant already has, in any case or Unicode form (409): compared by the store's collation (see <c>ServiceAccount.NormalizedName</c>).</summary>
    public static async Task EnsureNameIsFreeAsync(this IProvisioningDbContext db, ServiceAccount account, CancellationToken cancellationToken)
    {
        if (await db.ServiceAccounts.AnyAsync(
                s => s.TenantId == account.TenantId && s.NormalizedName == account.NormalizedName && s.Id != account.Id, cancellationToken))
        {
            throw NameTaken(account.DisplayName);
        }
    }

    /// <summary>The 409 for a name the tenant has, from this check or from the unique index a racing create met (one wording).</summary>
    public static ConflictException NameTaken(string displayName) => new($"A service account named '{displayName}' already exists.");
}
