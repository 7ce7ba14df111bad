using Microsoft.EntityFrameworkCore;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Exceptions;
using Provisioning.Application.Common.Security;
using Provisioning.Domain.Credentials;

namespace Provisioning.Application.ProvisioningKeys;

public static class ProvisioningKeyAccess
{
    public static async Task<ProvisioningKey> GetProvisioningKeyAsync(this IProvisioningDbContext db, Caller caller, string id, CancellationToken cancellationToken)
    {
        if (!KeyId.IsProvisioning(id))
        {
            throw NotFoundException.ProvisioningKey();
        }

        var keyId = new KeyId(id);
        return await db.VisibleProvisioningKeys(caller).FirstOrDefaultAsync(k => k.Id == keyId, cancellationToken)
            ?? throw NotFoundException.ProvisioningKey();
    }

    /// <summary><see cref="GetProvisioningKeyAsync"/> for a change: locked and read again (see <c>KeyLookup.GetKeyForChangeAsync</c>).</summary>
    public static async Task<ProvisioningKey> GetProvisioningKeyForChangeAsync(this IProvisioningDbContext db, Caller caller, string id, CancellationToken cancellationToken)
    {
        var key = await db.GetProvisioningKeyAsync(caller, id, cancellationToken);
        await db.LockForUpdateAsync(key, cancellationToken);
        return key;
    }
}
