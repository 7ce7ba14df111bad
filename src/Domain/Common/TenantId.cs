namespace Provisioning.Domain.Common;

/// <summary>
/// A typed id: 24 lowercase hex characters, time-ordered. The comparison operators let EF Core translate keyset
/// pagination (<c>WHERE id &gt; @after</c>) over the value-converted column.
/// </summary>
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
