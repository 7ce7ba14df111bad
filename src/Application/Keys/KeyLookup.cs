using Microsoft.EntityFrameworkCore;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Exceptions;
using Provisioning.Domain.Credentials;

namespace Provisioning.Application.Keys;

/// <summary>Finding keys, shared by the account, service-account and app key use cases.</summary>
public static class KeyLookup
{
    /// <summary>Loads a key of the given kind that <paramref name="owned"/> selects, or throws 404 (a malformed id looks the same as a missing one).</summary>
    public static async Task<ApiKey> GetKeyAsync(this IQueryable<ApiKey> owned, string keyId, KeyKind kind, CancellationToken cancellationToken)
    {
        if (!KeyId.TryParse(keyId, out var id, out var parsedKind) || parsedKind != kind)
        {
            throw NotFoundException.Key();
        }

        return await owned.FirstOrDefaultAsync(k => k.Id == id, cancellationToken) ?? throw NotFoundException.Key();
    }

    /// <summary>
    /// <see cref="GetKeyAsync"/> for a change of the key: its row is locked and read again, so that what the change compares
    /// (is it disabled already?) is the row as it is once this request holds it. Identical changes sent in parallel then
    /// behave as if in turn: the first changes it and writes its event, the others find it changed and write none.
    /// </summary>
    public static async Task<ApiKey> GetKeyForChangeAsync(
        this IProvisioningDbContext db, IQueryable<ApiKey> owned, string keyId, KeyKind kind, CancellationToken cancellationToken)
    {
        var key = await owned.GetKeyAsync(keyId, kind, cancellationToken);
        await db.LockForUpdateAsync(key, cancellationToken);
        return key;
    }

    /// <summary>
    /// How many keys of <paramref name="owned"/> stand in for <paramref name="key"/> at <paramref name="now"/>
    /// (<see cref="ApiKey.StandsInFor"/>): what <see cref="ApiKey.EnsureMayStopWorking"/> needs. A key that expires sooner
    /// is no stand-in: deleting the one key that never expires through a key expiring in an hour locked the tenant out an
    /// hour later. Count under the tenant's lock.
    /// </summary>
    public static Task<int> CountOtherLastingAsync(this IQueryable<ApiKey> owned, ApiKey key, DateTimeOffset now, CancellationToken cancellationToken) =>
        owned.CountAsync(ApiKey.StandsInFor(key, now), cancellationToken);
}
