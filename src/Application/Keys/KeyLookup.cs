using Microsoft.EntityFrameworkCore;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Exceptions;
using Provisioning.Domain.Credentials;

namespace Provisioning.Application.Keys;

/// <summary>Finding, counting and revoking keys, shared by the account, service-account and app key use cases.</summary>
public static class KeyLookup
{
    /// <summary>Loads a key of the given kind that <paramref name="owned"/> selects, or throws 404 (a malformed id looks the same as a missing one).</summary>
    public static async Task<ApiKey> GetKeyAsync(this IQueryable<ApiKey> owned, string keyId, KeyKind kind, CancellationToken cancellationToken)
    {
        if (!KeyId.TryParse(keyId, out var id, out var parsedKind) || parsedKind != kind)
        {
            throw new NotFoundException("Key");
        }

        return await owned.FirstOrDefaultAsync(k => k.Id == id, cancellationToken) ?? throw new NotFoundException("Key");
    }

    /// <summary>
    /// Evicts keys from the credential cache now and again once the transaction commits, so that a
    /// request racing with the deletion cannot put them back.
    /// </summary>
    public static void Revoke(this ICredentialCache cache, IUnitOfWork unitOfWork, IEnumerable<KeyId> keyIds)
    {
        foreach (var keyId in keyIds.ToList())
        {
            cache.Evict(keyId);
            unitOfWork.AfterCommit(() => cache.Evict(keyId));
        }
    }
}
