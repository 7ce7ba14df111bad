using Microsoft.EntityFrameworkCore;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Domain.Credentials;

namespace Provisioning.Application.Keys;

/// <summary>
/// The one key-issuing rule, for every kind of key: a fresh random secret, stored encrypted under the master key and
/// returned to the caller this once; at most <see cref="ApiKey.MaxKeysPerOwner"/> keys per app and per service
/// account, counted under the tenant's row lock so that concurrent creates cannot pass the limit.
/// </summary>
public sealed class KeyIssuer(IProvisioningDbContext db, ITenantLocks locks, ISecretGenerator secrets, ISecretProtector protector, TimeProvider clock)
{
    public async Task<(ApiKey Key, string Secret)> IssueAsync(
        KeyOwner owner, string? displayName, CancellationToken cancellationToken, DateTimeOffset? expiresAt = null)
    {
        if (owner is not KeyOwner.Account)
        {
            await locks.LockAsync(owner.Tenant, cancellationToken);
            ApiKey.EnsureRoomForAnother(owner switch
            {
                KeyOwner.ServiceAccount s => await db.ApiKeys.CountAsync(k => k.ServiceAccountId == s.Id, cancellationToken),
                KeyOwner.App a => await db.ApiKeys.CountAsync(k => k.AppId == a.Id, cancellationToken),
                _ => 0,
            });
        }

        var secret = secrets.NewSecret();
        var protectedSecret = protector.ProtectFor(secret);
        var now = clock.GetUtcNow();
        var key = owner switch
        {
            KeyOwner.Account a => ApiKey.ForAccount(a.Tenant, a.IsTenantToken ? TenantTokenName : displayName!, protectedSecret, now, a.IsTenantToken),
            KeyOwner.ServiceAccount s => ApiKey.ForServiceAccount(s.Tenant, s.Id, displayName!, protectedSecret, now),
            KeyOwner.App a => ApiKey.ForApp(a.Tenant, a.Id, displayName!, protectedSecret, now),
            _ => throw new ArgumentOutOfRangeException(nameof(owner)),
        };
        key.Expiring(expiresAt, now);
        db.ApiKeys.Add(key);
        return (key, secret);
    }

    /// <summary>The display name of the account key behind a tenant token (DailyStory's provisioning answer).</summary>
    public const string TenantTokenName = "Provisioning token";
}
