using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.DependencyInjection;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Domain.Credentials;
using Provisioning.Infrastructure.Persistence;

namespace Provisioning.Infrastructure.Credentials;

/// <summary>
/// Keys by id, cached for a short while so that authenticating a request rarely touches the
/// database. Revocation evicts them (<see cref="CredentialRevoker"/> here, and
/// <see cref="CredentialRevocationListener"/> for revocations made by other instances). A lookup
/// that raced with an eviction is not cached (the generation check), so a deleted key cannot come back.
/// </summary>
internal sealed class CachedCredentialStore(IServiceScopeFactory scopes, IMemoryCache cache)
    : ICredentialStore
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(60);
    private long _generation;

    /// <summary>Part of every cache key: bumping it drops every cached credential at once.</summary>
    private long _epoch;

    public async ValueTask<Credential?> FindAsync(KeyId keyId, CancellationToken cancellationToken)
    {
        var cacheKey = CacheKey(keyId);
        if (cache.TryGetValue(cacheKey, out Credential? cached))
        {
            return cached;
        }

        var generation = Interlocked.Read(ref _generation);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ProvisioningDbContext>();
        var key = await db.ApiKeys.AsNoTracking().FirstOrDefaultAsync(k => k.Id == keyId, cancellationToken);
        if (key is null)
        {
            return null;
        }

        var protector = scope.ServiceProvider.GetRequiredService<ISecretProtector>();
        var credential = new Credential(key.Id, key.Kind, key.TenantId, key.ServiceAccountId, key.AppId,
            protector.Unprotect(key.ProtectedSecret), key.IsTenantToken);
        if (Interlocked.Read(ref _generation) == generation)
        {
            cache.Set(cacheKey, credential, new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = Lifetime, Size = 1 });
        }

        return credential;
    }

    public void Evict(KeyId keyId)
    {
        Interlocked.Increment(ref _generation);
        cache.Remove(CacheKey(keyId));
    }

    /// <summary>Forgets every cached credential (used when revocations from other instances may have been missed).</summary>
    public void EvictAll()
    {
        Interlocked.Increment(ref _generation);
        Interlocked.Increment(ref _epoch);
    }

    private string CacheKey(KeyId keyId) => $"credential:{Interlocked.Read(ref _epoch)}:{keyId.Value}";
}
