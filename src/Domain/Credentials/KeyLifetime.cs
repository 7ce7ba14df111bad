using Provisioning.Domain.Common;

namespace Provisioning.Domain.Credentials;

/// <summary>Key expiry: <c>expiresAt</c> is in the future and at most ten years ahead; from that instant the key stops working.</summary>
public static class KeyLifetime
{
    /// <summary>How far ahead at most: ten calendar years (a fixed 3,653 days is ten years and a day in some decades).</summary>
    public const int LongestYears = 10;

    /// <summary>Returns <paramref name="expiresAt"/> when acceptable at <paramref name="now"/>; otherwise a 400 naming <c>expiresAt</c>.</summary>
    public static DateTimeOffset? Check(DateTimeOffset? expiresAt, DateTimeOffset now)
    {
        if (expiresAt is not { } at)
        {
            return null;
        }

        if (at <= now)
        {
            throw new DomainRuleException("expiresAt", "expiresAt must be in the future.");
        }

        if (at > now.AddYears(LongestYears))
        {
            throw new DomainRuleException("expiresAt", $"expiresAt must be at most {LongestYears} years ahead.");
        }

        return StoredTime.Of(at.ToUniversalTime());
    }

    public static bool HasExpired(DateTimeOffset? expiresAt, DateTimeOffset now) => expiresAt is { } at && now >= at;

    /// <summary>The one rule for whether a key of any kind works at <paramref name="now"/>: enabled and not expired.</summary>
    public static bool Works(bool disabled, DateTimeOffset? expiresAt, DateTimeOffset now) => !disabled && !HasExpired(expiresAt, now);
}
