using Provisioning.Domain.Common;

namespace Provisioning.Domain.Credentials;

/// <summary>A key id: a kind prefix (act_, svc_, app_, prv_) followed by 24 lowercase hex characters.</summary>
public readonly record struct KeyId(string Value) : IComparable<KeyId>
{
    public int CompareTo(KeyId other) => string.CompareOrdinal(Value, other.Value);
    public static bool operator >(KeyId left, KeyId right) => left.CompareTo(right) > 0;
    public static bool operator <(KeyId left, KeyId right) => left.CompareTo(right) < 0;
    public static bool operator >=(KeyId left, KeyId right) => left.CompareTo(right) >= 0;
    public static bool operator <=(KeyId left, KeyId right) => left.CompareTo(right) <= 0;

    /// <summary>A key id's length: a four-character prefix (<c>act_</c>, <c>svc_</c>, <c>app_</c>, <c>prv_</c>) and an id.</summary>
    public const int Length = PrefixLength + IdGenerator.Length;

    private const int PrefixLength = 4;

    public const string AccountPrefix = "act_";
    public const string ServiceAccountPrefix = "svc_";
    public const string AppPrefix = "app_";
    public const string ProvisioningPrefix = "prv_";

    public static KeyId New(KeyKind kind) => new(PrefixOf(kind) + IdGenerator.NewId());

    public static KeyId NewProvisioning() => new(ProvisioningPrefix + IdGenerator.NewId());

    public static string PrefixOf(KeyKind kind) => kind switch
    {
        KeyKind.Account => AccountPrefix,
        KeyKind.ServiceAccount => ServiceAccountPrefix,
        KeyKind.App => AppPrefix,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>An account key's id: <c>act_</c> followed by 24 lowercase hex characters.</summary>
    public static bool IsAccountId(string? value) => TryParse(value, out _, out var kind) && kind == KeyKind.Account;

    /// <summary>Parses a credential key id (act_, svc_, app_). Anything else, including injection attempts, is rejected.</summary>
    public static bool TryParse(string? value, out KeyId id, out KeyKind kind)
    {
        id = default;
        kind = default;
        if (value is null || value.Length != Length || !IdGenerator.IsValid(value[PrefixLength..]))
        {
            return false;
        }

        KeyKind? parsed = value[..PrefixLength] switch
        {
            AccountPrefix => KeyKind.Account,
            ServiceAccountPrefix => KeyKind.ServiceAccount,
            AppPrefix => KeyKind.App,
            _ => null,
        };
        if (parsed is null)
        {
            return false;
        }

        id = new KeyId(value);
        kind = parsed.Value;
        return true;
    }

    public static bool IsProvisioning(string? value) =>
        value is not null && value.Length == Length
        && value.StartsWith(ProvisioningPrefix, StringComparison.Ordinal) && IdGenerator.IsValid(value[PrefixLength..]);

    public override string ToString() => Value;
}
