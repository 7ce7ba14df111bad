using Microsoft.Extensions.Caching.Memory;

namespace Provisioning.Infrastructure.Persistence;

/// <summary>
/// The remembered page starts of <see cref="RememberedOffsetPages{TEntity}"/> (per list and scope): a bounded cache of
/// its own (it never pushes credentials out of theirs), entries forgotten after 10 minutes unused. Losing one only costs a
/// cold read (the lists share its 20,000 entries). Forgotten all at once
/// when the revocation listener loses or regains its connection (<see cref="Clear"/>), and so is a start read before
/// that and remembered after it (a request whose read finished as the database went away): each start carries the
/// <see cref="Generation"/> its read began in, and one of an earlier generation is never given out.
/// </summary>
internal sealed class OffsetAnchors : IDisposable
{
    private static readonly TimeSpan Unused = TimeSpan.FromMinutes(10);
    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = 20_000 });
    private long _generation;

    /// <summary>How many times everything was forgotten: read before the database is, and given back to <see cref="Set"/>.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    public bool TryGet(string list, string scope, int offset, out OffsetAnchor anchor)
    {
        if (_cache.TryGetValue((list, scope, offset), out (OffsetAnchor Anchor, long Generation) entry) && entry.Generation == Generation)
        {
            anchor = entry.Anchor;
            return true;
        }

        anchor = default;
        return false;
    }

    /// <summary>Remembers <paramref name="anchor"/>, read from the database in <paramref name="generation"/> (not if that has passed).</summary>
    public void Set(string list, string scope, int offset, OffsetAnchor anchor, long generation)
    {
        if (generation == Generation)
        {
            _cache.Set((list, scope, offset), (anchor, generation), new MemoryCacheEntryOptions { SlidingExpiration = Unused, Size = 1 });
        }
    }

    /// <summary>
    /// Forgets every remembered start: the database may not be the one they were read from. A start's version is made of
    /// transaction ids (<c>xmin</c>), and a restore to an earlier point hands the same ids out again, to other changes: a
    /// probe restored a database to a point in time under a running instance, deleted a different app than before, and
    /// the same version let the instance serve a remembered page start that no longer matched its offset. A restore ends
    /// every session, the listener's too, so its reconnection is where the database may have changed.
    /// </summary>
    public void Clear()
    {
        Interlocked.Increment(ref _generation);
        _cache.Clear();
    }

    public void Dispose() => _cache.Dispose();
}
