using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Logging;
using Provisioning.Application.Common.Metrics;
using Provisioning.Domain.Common;
using Provisioning.Domain.Credentials;
using Provisioning.Infrastructure.Persistence;

namespace Provisioning.Infrastructure.Credentials;

/// <summary>
/// Keys by id, cached for a short while so that authenticating a request rarely touches the
/// database. Revocation evicts them (<see cref="Revocation"/>: the deleting instance at commit, every
/// instance through <see cref="CredentialRevocationListener"/>). A lookup that raced with an eviction
/// is not cached (the generation check, before and after caching), so a deleted key cannot come back.
/// <para>
/// A tenant's suspension or resumption evicts the keys at or below it and no others: each cached key is listed under
/// every tenant on its path (<see cref="_below"/>). Emptying the whole cache instead let one tenant toggling its child's
/// status send every other tenant's requests to the database (a probe: p50 1.7 → 2.6 ms).
/// </para>
/// <para>
/// The cache is trusted only while this instance's revocation listener is connected, and only for
/// entries cached since it last (re)connected: an instance whose notification channel is down — the
/// database restarting, a network cut — may be missing revocations, so it asks the database on every
/// request until the listener is back (which drops everything cached before).
/// </para>
/// <para>
/// An id that no key has is remembered as unknown for as long, in a cache of its own: otherwise a wrong secret for a
/// real key id would be answered from the cache after its first try while a made-up id asks the database every time.
/// Kept apart so that a spray of made-up ids cannot push real keys out of the cache. Not remembered: an id whose time
/// (its first 48 bits, <see cref="IdGenerator.MadeAt"/>) is within <see cref="StillBeingMade"/> of now, which a key being
/// created could have — ids made in one millisecond count up, so the next one can be guessed, and a probe from another
/// tenant kept a new key 401 for a minute (a probe). Those are asked of the database every time.
/// </para>
/// <para>
/// Lookups take turns (<see cref="CredentialLookups"/>): made-up ids from many addresses cannot take the connection pool
/// from requests whose keys are cached; ids found to be keys in the last hour (<see cref="_known"/>) take turns of their own.
/// </para>
/// </summary>
internal sealed class CachedCredentialStore(
    IServiceScopeFactory scopes, IMemoryCache cache, TimeProvider clock, CredentialLookups lookups, ServiceMetrics metrics,
    IDatabaseFaults databaseFaults, ILogger<CachedCredentialStore> logger)
    : ICredentialStore, IDisposable
{
    /// <summary>Lookups refused because the database is in recovery (<see cref="InRecovery"/>).</summary>
    private readonly OnceEvery _inRecovery = new(clock);

    /// <summary>Ids no key has (the value is unused), keyed like <see cref="cache"/>; bounded, so a spray costs memory only up to this.</summary>
    private readonly MemoryCache _unknown = new(new MemoryCacheOptions { SizeLimit = 10_000 });

    /// <summary>
    /// Ids a lookup found to be keys (disabled or expired ones too), for an hour or two since last found: their lookups take
    /// <see cref="CredentialLookups"/>' turns for known ids. Only a name, never trusted for anything else; kept when the cache
    /// is dropped (the listener reconnecting), which is when the keys in use are all read again at once.
    /// </summary>
    private readonly RecentNames _known = RecentNames.ForAnHour(clock);

    /// <summary>
    /// How long the cache stays trusted after the sending of the last heartbeat its listener heard (sent every
    /// <see cref="CredentialRevocationListener.HeartbeatInterval"/>). Shorter than <see cref="RevocationBarrier.Timeout"/>: an
    /// instance stalled long enough for a writer to give up on it (SIGSTOP, a long pause) distrusts its cache when it
    /// resumes, until its listener has read what was sent meanwhile, instead of answering its queued requests from it.
    /// </summary>
    internal static readonly TimeSpan HeartbeatTrust = TimeSpan.FromMilliseconds(1500);

    private long _lastHeartbeat;

    /// <summary>
    /// For each tenant, the cache entries of keys at or below it (each caching's own token → its key id). Listed before the
    /// entry is cached, taken out by that entry's own eviction — a caching of the same key that replaces it has a token of
    /// its own, so two lookups of one key caching at once cannot unlist the survivor — and the list goes with its last
    /// entry, or when the tenant's status changes. So it holds what the cache holds, not one list for every tenant ever
    /// seen (a probe). A list is changed between "is it empty" and "take it out", and between "is it still the
    /// tenant's" and "add to it", only under its own lock (<see cref="List"/>).
    /// </summary>
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<object, string>> _below = new(StringComparer.Ordinal);

    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How near now an unknown id's time must be for a key of it to be still on its way: its create not yet committed,
    /// or made by an instance whose clock is ahead or behind this one's.
    /// </summary>
    internal static readonly TimeSpan StillBeingMade = TimeSpan.FromMinutes(5);
    private long _generation;

    /// <summary>Part of every cache key: bumping it drops every cached credential at once.</summary>
    private long _epoch;

    /// <summary>True while the revocation listener is connected and listening.</summary>
    private volatile bool _listening;

    /// <summary>Whether the revocation listener is connected and listening (whether or not it hears: <see cref="IsListening"/>).</summary>
    internal bool IsConnected => _listening;

    /// <summary>Whether cached entries are trusted: the revocation listener is connected and has heard its heartbeat lately.</summary>
    internal bool IsListening => _listening && clock.GetElapsedTime(Interlocked.Read(ref _lastHeartbeat)) < HeartbeatTrust;

    /// <summary>What a heartbeat sent now carries: this process's monotonic time, handed back when it is heard (<see cref="Heartbeat"/>).</summary>
    internal string HeartbeatPayload() => clock.GetTimestamp().ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// The listener read its own heartbeat, which carries when it was sent (<see cref="HeartbeatPayload"/>): every notice
    /// committed before then has been applied. Trust is counted from that time, not from the hearing: a listener whose
    /// connection lags by seconds still hears a heartbeat every 0.5 s, each seconds old, and has not yet read the
    /// revocations of those seconds (a probe with the database 80 ms away and the listener's connection 2.5–6 s behind: a
    /// deleted key answered 200 for up to 4 s on that instance, after its deletion was answered). A payload that is no
    /// time of this process's is ignored (null); else how long ago the heartbeat was sent.
    /// </summary>
    public TimeSpan? Heartbeat(string payload)
    {
        if (!long.TryParse(payload, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var sent)
            || sent > clock.GetTimestamp())
        {
            return null;
        }

        // The latest sent wins (heard out of order, the older says less).
        var seen = Interlocked.Read(ref _lastHeartbeat);
        while (sent > seen && Interlocked.CompareExchange(ref _lastHeartbeat, sent, seen) is var was && was != seen)
        {
            seen = was;
        }

        return clock.GetElapsedTime(sent);
    }

    public async ValueTask<Credential?> FindAsync(KeyId keyId, CancellationToken cancellationToken)
    {
        var cacheKey = CacheKey(keyId);
        if (IsListening)
        {
            if (cache.TryGetValue(cacheKey, out Credential? cached))
            {
                metrics.LookupCached();
                return cached;
            }

            if (_unknown.TryGetValue(cacheKey, out _))
            {
                metrics.LookupCached();
                return null;
            }
        }

        var (credential, tenantPath, generation) = await ReadAsync(keyId, cancellationToken);
        if (credential is null)
        {
            if (IsListening && Interlocked.Read(ref _generation) == generation && !MayStillBeMade(keyId))
            {
                _unknown.Set(cacheKey, true, new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = Lifetime, Size = 1 });
            }

            return null;
        }

        if (IsListening)
        {
            CacheUnlessEvictedSince(generation, cacheKey, credential, tenantPath!);
        }

        return credential;
    }

    /// <summary>
    /// Caches what a lookup read, unless an eviction came since it began (<paramref name="generation"/>): checked before
    /// caching, and again after, since an eviction between the check and the caching may have missed the entry.
    /// </summary>
    private void CacheUnlessEvictedSince(long generation, string cacheKey, Credential credential, string[] tenantPath)
    {
        if (Interlocked.Read(ref _generation) != generation)
        {
            return;
        }

        Cache(cacheKey, credential, tenantPath);
        if (Interlocked.Read(ref _generation) != generation)
        {
            cache.Remove(cacheKey);
        }
    }

    /// <summary>
    /// The key as the database has it now, past the cache and without caching it: for a change that failed because a row
    /// it counted on went meanwhile, which may have taken the caller's key with it (this instance may not have heard yet).
    /// </summary>
    public async ValueTask<Credential?> FindInDatabaseAsync(KeyId keyId, CancellationToken cancellationToken) =>
        (await ReadAsync(keyId, cancellationToken)).Credential;

    /// <summary>
    /// The key as the database has it, in a turn of <see cref="CredentialLookups"/> (which may refuse it: 503), with the
    /// eviction generation read once the turn is had (a revocation while it waited for one is no reason not to cache it).
    /// </summary>
    private async Task<(Credential? Credential, string[]? TenantPath, long Generation)> ReadAsync(KeyId keyId, CancellationToken cancellationToken)
    {
        IDisposable turn;
        try
        {
            turn = await lookups.TurnAsync(_known.Contains(keyId.Value), cancellationToken);
        }
        catch (CredentialLookupsBusyException)
        {
            metrics.LookupRefused();
            throw;
        }

        using var _ = turn;
        var generation = Interlocked.Read(ref _generation);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ProvisioningDbContext>();
        // One round trip: whether the database is in recovery, and the key (if there is one), its tenant's path and whether its
        // tenant or an ancestor is suspended (asked only of a key found: a made-up id costs one probe of the key's index).
        KeyRow row;
        try
        {
            row = await db.Database.SqlQuery<KeyRow>(
                $"""
                SELECT r.in_recovery, f.*
                FROM (SELECT pg_is_in_recovery() AS in_recovery) r
                LEFT JOIN LATERAL (
                    SELECT k.id, k.kind, k.tenant_id, k.service_account_id, k.app_id, k.protected_secret, k.disabled, k.expires_at,
                           k.is_tenant_token, (SELECT t.path FROM tenants t WHERE t.id = k.tenant_id) AS tenant_path,
                           tenant_or_ancestor_suspended(k.tenant_id) AS suspended
                    FROM api_keys k WHERE k.id = {keyId.Value}) f ON true
                """)
                .SingleAsync(cancellationToken);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && databaseFaults.IsDatabaseFault(e))
        {
            metrics.LookupUnavailable(); // the database away, or not answering in time (503); not a defect's 500
            throw;
        }

        if (row.InRecovery)
        {
            metrics.LookupUnavailable();
            throw InRecovery();
        }

        if (row.Id is not { } id)
        {
            // No longer a key (deleted): its lookups go back among the made-up ids'. Kept, a deleted key's id (its owner
            // knows it) sent again and again from many addresses would have filled the known ids' queue (a review).
            metrics.LookupRead();
            _known.Remove(keyId.Value);
            return (null, null, generation);
        }

        _known.Add(keyId.Value);

        var protector = scope.ServiceProvider.GetRequiredService<ISecretProtector>();
        var kind = (KeyKind)row.Kind!.Value;
        var secret = protector.Unprotect(row.ProtectedSecret!, SecretBinding.OfKey(id, kind, row.TenantId!, row.ServiceAccountId, row.AppId));
        var credential = new Credential(new KeyId(id), kind, new TenantId(row.TenantId!),
            row.ServiceAccountId is null ? null : new ServiceAccountId(row.ServiceAccountId),
            row.AppId is null ? null : new AppId(row.AppId),
            secret, row.Disabled!.Value, row.ExpiresAt, row.Suspended!.Value, row.IsTenantToken!.Value,
            row.TenantPath is { Length: > 0 } path ? new TenantId(path[Math.Min(1, path.Length - 1)]) : null);
        // Counted once its secret has decrypted: one that does not (altered in the database, under a master key this
        // instance lacks) is a fault, in no outcome, as the docs say (a probe of the metrics found it counted a read).
        metrics.LookupRead();
        return (credential, row.TenantPath, generation);
    }

    /// <summary>
    /// The refusal of a lookup in a database in recovery, counted, and said at Error at most once a minute with the count since
    /// the last such line (then it is marked logged: the error handler writes no line per refused request).
    /// </summary>
    private DatabaseInRecoveryException InRecovery()
    {
        var refusal = new DatabaseInRecoveryException();
        FaultLog.MarkLogged(refusal);
        _inRecovery.Say((refused, since) => logger.LogError(
            "The database is in recovery (pg_is_in_recovery(): a standby, or a restore replaying its log towards a point in time): " +
            "{Refused} request(s) answered 503 since {Since:u} without their credentials checked, since revocations may not have " +
            "reached it. Point the instances at the primary, or wait for the restore's promotion (docs/operations.md, \"Restore to a point in time\")",
            refused, since));
        return refusal;
    }

    /// <summary>
    /// Caches a credential, listed under every tenant on its path first, so that an eviction by tenant that starts later
    /// finds it; and checks afterwards that no eviction by tenant took one of those lists before the entry was there.
    /// </summary>
    private void Cache(string cacheKey, Credential credential, string[] tenantPath)
    {
        var token = new object();
        var keyId = credential.KeyId.Value;
        var lists = new ConcurrentDictionary<object, string>[tenantPath.Length];
        for (var i = 0; i < tenantPath.Length; i++)
        {
            lists[i] = List(tenantPath[i], token, keyId);
        }

        var options = new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = Lifetime, Size = 1 };
        options.RegisterPostEvictionCallback(static (_, _, _, state) =>
        {
            var (below, tenantPath, token) = ((ConcurrentDictionary<string, ConcurrentDictionary<object, string>>, string[], object))state!;
            foreach (var tenant in tenantPath)
            {
                if (below.TryGetValue(tenant, out var keys) && keys.TryRemove(token, out _))
                {
                    lock (keys)
                    {
                        if (keys.IsEmpty)
                        {
                            below.TryRemove(KeyValuePair.Create(tenant, keys));
                        }
                    }
                }
            }
        }, (_below, tenantPath, token));
        cache.Set(cacheKey, credential, options);

        // A revocation by tenant that took one of these lists after the key was listed in it, and removed the key's entry
        // before it was set (so removing nothing), left it cached and listed nowhere for that tenant: a later suspension
        // would not find it. The generation checks around the caching do not see it when the lookup read the generation
        // after that revocation's increment. A list holding this entry's token is taken out only by such a revocation
        // (evictions take out empty lists only), so: not the tenant's list now, the entry goes (the next request reads it).
        for (var i = 0; i < tenantPath.Length; i++)
        {
            if (!_below.TryGetValue(tenantPath[i], out var current) || !ReferenceEquals(current, lists[i]))
            {
                cache.Remove(cacheKey);
                return;
            }
        }
    }

    /// <summary>
    /// Lists a key under a tenant, in the list the tenant has at that moment: one taken out meanwhile (left empty by
    /// evictions) is no list an eviction by tenant would read, so the key is listed again in the tenant's new one. Returns
    /// the list it is in.
    /// </summary>
    private ConcurrentDictionary<object, string> List(string tenant, object token, string keyId)
    {
        while (true)
        {
            var keys = _below.GetOrAdd(tenant, static _ => new ConcurrentDictionary<object, string>());
            lock (keys)
            {
                if (_below.TryGetValue(tenant, out var current) && ReferenceEquals(current, keys))
                {
                    keys[token] = keyId;
                    return keys;
                }
            }
        }
    }

    /// <summary>For tests: how many tenants have lists, and whether a key is listed under a tenant.</summary>
    internal int ListedTenants => _below.Count;

    internal bool IsListedUnder(string tenant, KeyId keyId) => _below.TryGetValue(tenant, out var keys) && keys.Values.Contains(keyId.Value);

    /// <summary>For tests: caches a credential as a lookup does, without the database.</summary>
    internal void CacheForTest(Credential credential, string[] tenantPath) =>
        CacheUnlessEvictedSince(Interlocked.Read(ref _generation), CacheKey(credential.KeyId), credential, tenantPath);

    private bool MayStillBeMade(KeyId keyId) =>
        IdGenerator.MadeAt(keyId.Value) is { } madeAt && (clock.GetUtcNow() - madeAt).Duration() < StillBeingMade;

    public void Evict(KeyId keyId)
    {
        Interlocked.Increment(ref _generation);
        cache.Remove(CacheKey(keyId));
    }

    /// <summary>Applies a revocation notice (<see cref="Revocation"/>): its keys, and every cached key at or below its tenants.</summary>
    public void Revoke(string? payload)
    {
        var notice = Revocation.Parse(payload);
        if (notice.Everything)
        {
            EvictAll();
            return;
        }

        if (notice.IsEmpty)
        {
            return;
        }

        // Before reading the lists: a lookup under way then either listed its key already, or sees the new generation.
        Interlocked.Increment(ref _generation);
        foreach (var keyId in notice.Keys)
        {
            cache.Remove(CacheKey(keyId));
        }

        foreach (var tenant in notice.Tenants)
        {
            if (_below.TryRemove(tenant, out var keys))
            {
                foreach (var keyId in keys.Values)
                {
                    cache.Remove(CacheKey(new KeyId(keyId)));
                }
            }
        }
    }

    /// <summary>Whether a lookup found this id to be a key in the last hour or two, and none has found it gone since (for tests).</summary>
    internal bool IsKnown(KeyId keyId) => _known.Contains(keyId.Value);

    /// <summary>Whether this key is cached now (for tests).</summary>
    internal bool IsCached(KeyId keyId) => cache.TryGetValue(CacheKey(keyId), out _);

    /// <summary>
    /// The listener is (again) listening: start caching afresh, trusted from the first heartbeat it hears on this connection
    /// (every notice sent before that heartbeat has been applied). Not before: a <c>LISTEN</c> can succeed on a connection
    /// that will hear nothing (PgBouncer in transaction mode), and trusting a new connection for the heartbeat's span let a
    /// key revoked meanwhile work for about a second (a probe).
    /// </summary>
    public void ListenerConnected()
    {
        EvictAll();
        Interlocked.Exchange(ref _lastHeartbeat, NeverHeard);
        _listening = true;
    }

    /// <summary>A heartbeat time so long ago that the cache is not trusted (far enough from any timestamp not to overflow).</summary>
    private const long NeverHeard = long.MinValue / 4;

    /// <summary>The listener lost its connection: revocations may be missed, so nothing cached is trusted.</summary>
    public void ListenerDisconnected()
    {
        _listening = false;
        EvictAll();
    }

    /// <summary>Forgets every cached credential (the listener (re)connected or lost its connection; a notice from an older build's trigger).</summary>
    public void EvictAll()
    {
        Interlocked.Increment(ref _generation);
        Interlocked.Increment(ref _epoch);
    }

    public void Dispose()
    {
        _unknown.Dispose();
        _inRecovery.Dispose();
    }

    /// <summary>A lookup's one row: the database's recovery state, and the key's columns (all null when there is no such key).</summary>
    private sealed record KeyRow(
        bool InRecovery, string? Id, short? Kind, string? TenantId, string? ServiceAccountId, string? AppId, byte[]? ProtectedSecret,
        bool? Disabled, DateTimeOffset? ExpiresAt, bool? IsTenantToken, string[]? TenantPath, bool? Suspended);

    private string CacheKey(KeyId keyId) => $"credential:{Interlocked.Read(ref _epoch)}:{keyId.Value}";
}
