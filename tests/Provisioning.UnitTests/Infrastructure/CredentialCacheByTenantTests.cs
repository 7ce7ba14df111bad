using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Time.Testing;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Domain.Common;
using Provisioning.Domain.Credentials;
using Provisioning.Infrastructure.Credentials;

namespace Provisioning.UnitTests.Infrastructure;

/// <summary>
/// Each cached key is listed under every tenant on its path, so that a tenant's suspension drops its subtree's keys and
/// no others. The lists must follow the cache both ways: a cached key always listed (else a suspension misses it), and no
/// list left behind by a tenant whose keys are gone (a probe: one empty list per tenant ever seen).
/// </summary>
public sealed class CredentialCacheByTenantTests
{
    private static Credential Key(int i, string tenant) =>
        new(new KeyId(KeyId.AccountPrefix + i.ToString("x24")), KeyKind.Account, new TenantId(tenant), null, null, "secret", false, null, false, false);

    private static readonly string[][] Paths = [["root", "a"], ["root", "a", "a1"], ["root", "b"]];

    [Fact]
    public async Task ListsGoWithTheirLastKey()
    {
        using var memory = new MemoryCache(new MemoryCacheOptions());
        using var store = new CachedCredentialStore(null!, memory, new FakeTimeProvider(), null!, null!, null!, null!);
        var keys = Enumerable.Range(0, 6).Select(i => (Credential: Key(i, Paths[i % 3][^1]), Path: Paths[i % 3])).ToList();
        foreach (var (credential, path) in keys)
        {
            store.CacheForTest(credential, path);
        }

        Assert.Equal(4, store.ListedTenants); // root, a, a1, b
        foreach (var (credential, _) in keys)
        {
            store.Evict(credential.KeyId);
        }

        // Eviction callbacks run on the thread pool.
        for (var i = 0; i < 200 && store.ListedTenants > 0; i++)
        {
            await Task.Delay(10);
        }

        Assert.Equal(0, store.ListedTenants);
    }

    [Fact]
    public async Task OneKeyCachedByTwoLookupsAtOnce_StaysListed()
    {
        // Lookups of one key that missed together (its entry expiring under load) cache it together: the later caching
        // replaces the earlier, and the replaced entry's eviction must not unlist the one that stays. (Listed by key id,
        // the earlier caching's list entry could be the survivor's: listed A, listed B, cached B, cached A — B's eviction
        // then took the key off its tenants' lists while A stayed cached, and a suspension missed it.)
        using var memory = new MemoryCache(new MemoryCacheOptions());
        using var store = new CachedCredentialStore(null!, memory, new FakeTimeProvider(), null!, null!, null!, null!);
        var unlisted = 0;
        for (var round = 0; round < 300 && unlisted == 0; round++)
        {
            var key = Key(round, "a1");
            using var start = new Barrier(2);
            await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
            {
                start.SignalAndWait();
                store.CacheForTest(key, Paths[1]);
            })));
            await Task.Delay(5); // the replaced entry's callback
            if (store.IsCached(key.KeyId) && !Paths[1].All(tenant => store.IsListedUnder(tenant, key.KeyId)))
            {
                unlisted++;
            }
        }

        Assert.Equal(0, unlisted);
    }

    [Fact]
    public async Task UnderCachingEvictionAndRevocationAtOnce_EveryCachedKeyIsListedUnderEachTenantOfItsPath()
    {
        using var memory = new MemoryCache(new MemoryCacheOptions());
        using var store = new CachedCredentialStore(null!, memory, new FakeTimeProvider(), null!, null!, null!, null!);
        var keys = Enumerable.Range(0, 24).Select(i => (Credential: Key(i, Paths[i % 3][^1]), Path: Paths[i % 3])).ToArray();
        // Five phases at least, and on until one ended with keys cached to check (a loaded host runs few operations in a
        // phase, and a revocation of the root last leaves none: five phases in a row did so in a CI run).
        var checkedKeys = 0;
        for (var phase = 0; phase < 5 || (checkedKeys == 0 && phase < 50); phase++)
        {
            // The invariant holds once every caching has finished (a lookup still between its caching and its second
            // generation check may hold an unlisted entry it is about to drop), so each phase stops its workers first.
            using var stop = new CancellationTokenSource(TimeSpan.FromMilliseconds(400));
            await Task.WhenAll(Enumerable.Range(0, 4).Select(w => Task.Run(() =>
            {
                var random = new Random(phase * 10 + w);
                while (!stop.IsCancellationRequested)
                {
                    var (credential, path) = keys[random.Next(keys.Length)];
                    switch (random.Next(10))
                    {
                        case < 6:
                            store.CacheForTest(credential, path);
                            break;
                        case < 9:
                            store.Evict(credential.KeyId);
                            break;
                        default:
                            store.Revoke("t:" + path[random.Next(path.Length)] + ",*");
                            break;
                    }
                }
            })));
            await Task.Delay(100); // the last eviction callbacks

            var cached = keys.Where(k => store.IsCached(k.Credential.KeyId)).ToList();
            checkedKeys += cached.Count;
            Assert.All(cached, k => Assert.All(k.Path, tenant =>
                Assert.True(store.IsListedUnder(tenant, k.Credential.KeyId), $"{k.Credential.KeyId} is cached but not listed under {tenant}")));
        }

        Assert.True(checkedKeys > 0, "no key was cached at the end of any phase: nothing was checked");
    }
}
