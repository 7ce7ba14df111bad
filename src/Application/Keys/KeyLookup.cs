using Microsoft.EntityFrameworkCore;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Exceptions;
using Provisioning.Application.Common.Security;
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
    /// An account key the caller sees (<see cref="CallerScope.VisibleAccountKeys"/>) read for a change that stops it working — a
    /// deletion or a disable — and refused (409) when no other key stands in for it (<see cref="ApiKey.EnsureMayStopWorking"/>:
    /// a key that expires sooner is no stand-in; deleting the one key that never expires through a key expiring in an hour
    /// locked the tenant out an hour later). The count is taken under the tenant's lock, so that two such changes in
    /// parallel count in turn and cannot stop the last two keys (<c>RacingRequestsTests</c>); the key is read after that
    /// lock, its row locked and read again, so that what is counted and what is stopped are the rows as they are once this
    /// request holds them (read before, a key enabled meanwhile — enabling takes no tenant lock — was seen disabled and
    /// stopped without the check). The tenant's row before the key's, as a tenant's deletion takes them (its row, then its
    /// keys' through the cascade), so that the two never wait for each other in opposite orders.
    /// </summary>
    public static async Task<ApiKey> GetAccountKeyToStopAsync(
        this IProvisioningDbContext db, Caller caller, string keyId, ITenantLocks locks, TimeProvider clock, CancellationToken cancellationToken)
    {
        var accountKeys = db.VisibleAccountKeys(caller);
        await locks.LockAsync(caller.TenantId, cancellationToken);
        var key = await db.GetKeyForChangeAsync(accountKeys, keyId, KeyKind.Account, cancellationToken);
        var now = clock.GetUtcNow();
        key.EnsureMayStopWorking(await accountKeys.CountAsync(ApiKey.StandsInFor(key, now), cancellationToken), now);
        return key;
    }
}
