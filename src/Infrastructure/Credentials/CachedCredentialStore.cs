using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.DependencyInjection;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Domain.Credentials;
using Provisioning.Infrastructure.Persistence;

namespace Provisioning.Infrastructure.Credentials;

/// <summary>
/// Keys by id, cached for a short while so that authenticating a request rarely touches the
/// database. Deleting a key evicts it, so revocation is immediate in this process. A lookup that
/// raced with an eviction is not cached (the generation check), so a deleted key cannot come back.
/// </summary>
internal sealed class CachedCredentialStore(IServiceScopeFactory scopes, IMemoryCache cache, ISecretProtector protector)
    : ICredentialStore, ICredentialCache
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(60);
    private long _generation;

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

    private static string CacheKey(KeyId keyId) => "credential:" + keyId.Value;
}
