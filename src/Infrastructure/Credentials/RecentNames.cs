using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Provisioning.Infrastructure.Credentials;

/// <summary>
/// Names seen lately — key ids found to be keys, pairs of a client address and a key id that signed in, addresses that
/// failed to — each remembered for at least one <c>period</c> after it was last added or found, and at most two.
/// Bounded: a generation holds at most <c>capacity</c> names; when the current one is full it becomes the previous one at
/// once, forgetting the older generation early (at most twice <c>capacity</c> names are held).
/// <para>
/// Held as fingerprints (the first 128 bits of the SHA-256 of the name's characters): 28 bytes a slot of the hash set,
/// 42–49 bytes a name with its room to grow (measured at 10,000–100,000). The
/// <see cref="Microsoft.Extensions.Caching.Memory.MemoryCache"/>s it replaced spent ≈ 190 bytes an entry besides its key
/// string (80–100 bytes), and two of them took a soak's managed heap from 16 to 54 MB (≈ 76,000 names each). A
/// fingerprint cannot be steered onto another name's without a second preimage of SHA-256; a name is never read back.
/// </para>
/// </summary>
public sealed class RecentNames
{
    private readonly Lock _gate = new();
    private readonly TimeSpan _period;
    private readonly int _capacity;
    private readonly TimeProvider _clock;
    private readonly long _origin;
    private HashSet<Fingerprint> _current = [];
    private HashSet<Fingerprint> _previous = [];

    /// <summary>Which period since <see cref="_origin"/> <see cref="_current"/> is of.</summary>
    private long _currentPeriod;

    /// <summary>The period in which a full generation last turned early (far in the past when none has).</summary>
    private long _earlyTurnPeriod = long.MinValue / 2;

    public RecentNames(TimeSpan period, int capacity, TimeProvider clock)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(period, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(capacity, 0);
        (_period, _capacity, _clock) = (period, capacity, clock);
        _origin = clock.GetTimestamp();
    }

    /// <summary>
    /// The names the service remembers for an hour: ids found to be keys, and the address and key id pairs that signed in
    /// (at most 100,000 an hour each; docs/operations.md, "Credential lookups").
    /// </summary>
    public static RecentNames ForAnHour(TimeProvider clock) => new(TimeSpan.FromHours(1), 100_000, clock);

    /// <summary>Names held now (for tests).</summary>
    internal int Count
    {
        get
        {
            lock (_gate)
            {
                Turn();
                return _current.Count + _previous.Count;
            }
        }
    }

    /// <summary>
    /// Whether names may have been forgotten early: a full generation turned in this period or the one before, so a name
    /// added in the last period may be gone. A caller whose rule must not miss a name recent enough treats every name as
    /// found meanwhile.
    /// </summary>
    public bool ForgotEarlyLately
    {
        get
        {
            lock (_gate)
            {
                Turn();
                return _currentPeriod - _earlyTurnPeriod <= 1;
            }
        }
    }

    /// <summary>Whether the name was added or found lately; found, it is remembered afresh.</summary>
    public bool Contains(ReadOnlySpan<char> name, ReadOnlySpan<char> second = default) => Find(name, second, refresh: true);

    /// <summary>Whether the name was added lately: at least one period since, at most two; finding it keeps it no longer.</summary>
    public bool WasAdded(ReadOnlySpan<char> name) => Find(name, default, refresh: false);

    private bool Find(ReadOnlySpan<char> name, ReadOnlySpan<char> second, bool refresh)
    {
        var fingerprint = FingerprintOf(name, second);
        lock (_gate)
        {
            Turn();
            if (_current.Contains(fingerprint))
            {
                return true;
            }

            if (!refresh)
            {
                return _previous.Contains(fingerprint);
            }

            if (!_previous.Remove(fingerprint))
            {
                return false;
            }

            AddCurrent(fingerprint);
            return true;
        }
    }

    /// <summary>Remembers the name afresh (a pair's second part in <paramref name="second"/>).</summary>
    public void Add(ReadOnlySpan<char> name, ReadOnlySpan<char> second = default)
    {
        var fingerprint = FingerprintOf(name, second);
        lock (_gate)
        {
            Turn();
            if (!_current.Contains(fingerprint))
            {
                _previous.Remove(fingerprint);
                AddCurrent(fingerprint);
            }
        }
    }

    public void Remove(ReadOnlySpan<char> name, ReadOnlySpan<char> second = default)
    {
        var fingerprint = FingerprintOf(name, second);
        lock (_gate)
        {
            _current.Remove(fingerprint);
            _previous.Remove(fingerprint);
        }
    }

    private void AddCurrent(Fingerprint fingerprint)
    {
        if (_current.Count >= _capacity)
        {
            _previous = _current;
            _current = [];
            _earlyTurnPeriod = _currentPeriod;
        }

        _current.Add(fingerprint);
    }

    /// <summary>A new period started since the last call: the current generation becomes the previous one (or, after two, both go).</summary>
    private void Turn()
    {
        var now = _clock.GetElapsedTime(_origin).Ticks / _period.Ticks;
        if (now == _currentPeriod)
        {
            return;
        }

        _previous = now == _currentPeriod + 1 ? _current : [];
        _current = [];
        _currentPeriod = now;
    }

    /// <summary>
    /// SHA-256 over the first part's length and both parts' UTF-16 code units: exact (no encoding to fold two strings into
    /// one), and ("a b", "c") is not ("a", "b c").
    /// </summary>
    private static Fingerprint FingerprintOf(ReadOnlySpan<char> name, ReadOnlySpan<char> second)
    {
        var length = checked(sizeof(int) + (name.Length + second.Length) * sizeof(char));
        byte[]? rented = null;
        Span<byte> bytes = length <= 512 ? stackalloc byte[512] : rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            BinaryPrimitives.WriteInt32LittleEndian(bytes, name.Length);
            MemoryMarshal.AsBytes(name).CopyTo(bytes[sizeof(int)..]);
            MemoryMarshal.AsBytes(second).CopyTo(bytes[(sizeof(int) + name.Length * sizeof(char))..]);
            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(bytes[..length], hash);
            return new Fingerprint(BinaryPrimitives.ReadUInt64LittleEndian(hash), BinaryPrimitives.ReadUInt64LittleEndian(hash[8..]));
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// Two longs, not a <see cref="UInt128"/>: aligned to 16 bytes, that made each slot of the set 36 bytes, not 28. Hashed
    /// with the process's random seed (<see cref="HashCode"/>), as <see cref="UInt128"/> is, not a record's fixed formula.
    /// </summary>
    private readonly record struct Fingerprint(ulong Low, ulong High)
    {
        public override int GetHashCode() => HashCode.Combine(Low, High);
    }
}
