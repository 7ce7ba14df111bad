using Microsoft.Extensions.Caching.Memory;

namespace Provisioning.Infrastructure.Persistence;

/// <summary>
/// The remembered page starts of <see cref="RememberedOffsetPages{TEntity}"/> (per table and tenant): a bounded cache of its own (it never pushes credentials
/// out of theirs), entries forgotten after 10 minutes unused. Losing one only costs a cold read. Forgotten all at once
/// when the revocation listener loses or regains its connection (<see cref="Clear"/>).
/// </summary>
internal sealed class OffsetAnchors : IDisposable
{
    private static readonly TimeSpan Unused = TimeSpan.FromMinutes(10);
    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = 20_000 });

    public bool TryGet(string table, string tenant, int offset, out OffsetAnchor anchor) => _cache.TryGetValue((table, tenant, offset), out anchor);

    public void Set(string table, string tenant, int offset, OffsetAnchor anchor) =>
        _cache.Set((table, tenant, offset), anchor, new MemoryCacheEntryOptions { SlidingExpiration = Unused, Size = 1 });

    /// <summary>
    /// Forgets every remembered start: the database may not be the one they were read from. A start's version is made of
    /// transaction ids (<c>xmin</c>), and a restore to an earlier point hands the same ids out again, to other changes: a
    /// probe restored a database to a point in time under a running instance, deleted a different app than before, and
    /// the same version let the instance serve a remembered page start that no longer matched its offset. A restore ends
    /// every session, the listener's too, so its reconnection is where the database may have changed.
    /// </summary>
    public void Clear() => _cache.Clear();

    public void Dispose() => _cache.Dispose();
}
