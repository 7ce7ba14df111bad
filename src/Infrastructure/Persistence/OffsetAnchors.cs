using Microsoft.Extensions.Caching.Memory;

namespace Provisioning.Infrastructure.Persistence;

/// <summary>
/// The remembered page starts of <see cref="TenantAppPages"/>: a bounded cache of its own (it never pushes credentials
/// out of theirs), entries forgotten after 10 minutes unused. Losing one only costs a cold read.
/// </summary>
internal sealed class OffsetAnchors : IDisposable
{
    private static readonly TimeSpan Unused = TimeSpan.FromMinutes(10);
    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = 20_000 });

    public bool TryGet(string tenant, int offset, out OffsetAnchor anchor) => _cache.TryGetValue((tenant, offset), out anchor);

    public void Set(string tenant, int offset, OffsetAnchor anchor) =>
        _cache.Set((tenant, offset), anchor, new MemoryCacheEntryOptions { SlidingExpiration = Unused, Size = 1 });

    public void Dispose() => _cache.Dispose();
}
