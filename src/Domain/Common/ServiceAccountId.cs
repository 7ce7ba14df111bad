namespace Provisioning.Domain.Common;

/// <summary>
/// A typed id: 24 lowercase hex characters, time-ordered. The comparison operators let EF Core translate keyset
/// pagination (<c>WHERE id &gt; @after</c>) over the value-converted column.
/// </summary>
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
