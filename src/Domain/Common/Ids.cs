namespace Provisioning.Domain.Common;

// Typed ids: 24 lowercase hex characters, time-ordered. The comparison operators let EF Core
// translate keyset pagination (WHERE id > @after) over the value-converted columns.

public readonly record struct TenantId(string Value) : IComparable<TenantId>
{
    public static TenantId New() => new(IdGenerator.NewId());
    public int CompareTo(TenantId other) => string.CompareOrdinal(Value, other.Value);
    public static bool operator >(TenantId left, TenantId right) => left.CompareTo(right) > 0;
    public static bool operator <(TenantId left, TenantId right) => left.CompareTo(right) < 0;
    public static bool operator >=(TenantId left, TenantId right) => left.CompareTo(right) >= 0;
    public static bool operator <=(TenantId left, TenantId right) => left.CompareTo(right) <= 0;
    public override string ToString() => Value;
}

public readonly record struct AppId(string Value) : IComparable<AppId>
{
    public static AppId New() => new(IdGenerator.NewId());
    public int CompareTo(AppId other) => string.CompareOrdinal(Value, other.Value);
    public static bool operator >(AppId left, AppId right) => left.CompareTo(right) > 0;
    public static bool operator <(AppId left, AppId right) => left.CompareTo(right) < 0;
    public static bool operator >=(AppId left, AppId right) => left.CompareTo(right) >= 0;
    public static bool operator <=(AppId left, AppId right) => left.CompareTo(right) <= 0;
    public override string ToString() => Value;
}

public readonly record struct ServiceAccountId(string Value) : IComparable<ServiceAccountId>
{
    public static ServiceAccountId New() => new(IdGenerator.NewId());
    public int CompareTo(ServiceAccountId other) => string.CompareOrdinal(Value, other.Value);
    public static bool operator >(ServiceAccountId left, ServiceAccountId right) => left.CompareTo(right) > 0;
    public static bool operator <(ServiceAccountId left, ServiceAccountId right) => left.CompareTo(right) < 0;
    public static bool operator >=(ServiceAccountId left, ServiceAccountId right) => left.CompareTo(right) >= 0;
    public static bool operator <=(ServiceAccountId left, ServiceAccountId right) => left.CompareTo(right) <= 0;
    public override string ToString() => Value;
}
