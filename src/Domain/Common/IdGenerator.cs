using System.Security.Cryptography;

namespace Provisioning.Domain.Common;

/// <summary>
/// Makes 24-character lowercase hex ids that sort in creation order: 48 bits of Unix milliseconds
/// followed by 48 random bits. Within one millisecond the random part is increased by a random step instead of redrawn
/// (RFC 9562's "monotonic random"), so ids made by one process are strictly increasing. Not by one: the process makes
/// every tenant's ids, and a tenant that got two ids within a millisecond read from their difference exactly how many the
/// others had been given between them (a hostile probe). The random step blurs that count, it does not hide it (a step
/// averages 2^30: many differences still estimate how busy the process is within a millisecond, as response times do).
/// An id is a name, never a secret.
/// </summary>
public static class IdGenerator
{
    private static readonly Lock Gate = new();
    private static long _lastMs;
    private static ulong _lastRandom;

    private const ulong MaxRandom = 0xFFFF_FFFF_FFFF;

    public const int Length = 24;

    /// <summary>What <see cref="IsValid"/> takes, as a regular expression (for the OpenAPI document).</summary>
    public static readonly string Pattern = $"^[0-9a-f]{{{Length}}}$";

    public static string NewId()
    {
        // Drawn before the lock (the system's random source is a call into the kernel, ≈ 2 µs): a millisecond's first random
        // part, with the top bit clear so that the steps within it have room, and a step of 1 to 2^31 — at least 2^16 ids fit
        // in a millisecond.
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes);
        var start = BitConverter.ToUInt64(bytes) & 0x7FFF_FFFF_FFFF;
        var step = 1 + (BitConverter.ToUInt64(bytes[8..]) & 0x7FFF_FFFF);
        var ms = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        ulong random;
        lock (Gate)
        {
            if (ms <= _lastMs)
            {
                ms = _lastMs;
                random = _lastRandom + step;
                if (random > MaxRandom)
                {
                    ms = ++_lastMs; // the millisecond is full: move on to the next one.
                    random = start;
                }
            }
            else
            {
                random = start;
            }

            _lastMs = ms;
            _lastRandom = random;
        }

        return Format((ulong)ms, random);
    }

    /// <summary>The lowest id made at <paramref name="moment"/>: every id made before it sorts below this one.</summary>
    public static string LowestAt(DateTimeOffset moment) => Format((ulong)Math.Max(0, moment.ToUnixTimeMilliseconds()), 0);

    /// <summary>
    /// When an id was made, from its first 48 bits (<paramref name="id"/> as made here, after any kind prefix such as
    /// <c>act_</c>); null when it is not such an id.
    /// </summary>
    public static DateTimeOffset? MadeAt(string id)
    {
        var hex = id[(id.IndexOf('_', StringComparison.Ordinal) + 1)..];
        return IsValid(hex) && long.TryParse(hex.AsSpan(0, 12), System.Globalization.NumberStyles.AllowHexSpecifier, null, out var ms)
               && ms <= DateTimeOffset.MaxValue.ToUnixTimeMilliseconds()
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : null;
    }

    /// <summary>The id's layout: 48 bits of milliseconds, then 48 bits that order ids within one millisecond, in hex.</summary>
    private static string Format(ulong ms, ulong random) => (ms & 0xFFFF_FFFF_FFFF).ToString("x12") + random.ToString("x12");

    /// <summary>True for exactly 24 lowercase hex characters.</summary>
    public static bool IsValid(string? value)
    {
        if (value is null || value.Length != Length)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (!char.IsAsciiDigit(c) && c is not (>= 'a' and <= 'f'))
            {
                return false;
            }
        }

        return true;
    }
}
