using System.Collections;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace Provisioning.UnitTests.Architecture;

/// <summary>
/// Aggregates guard their state: nothing outside the domain can change a collection an entity or value exposes. A
/// public property hands out read-only views (<see cref="IReadOnlyList{T}"/>, <see cref="IReadOnlyDictionary{TKey,TValue}"/>,
/// <see cref="ReadOnlyMemory{T}"/>, …), never an array, a list, a dictionary or a set that callers could change behind
/// the aggregate's methods and their invariants.
/// </summary>
public sealed class DomainEncapsulationTests
{
    private static readonly Assembly Domain = typeof(Provisioning.Domain.Apps.App).Assembly;

    /// <summary>Interfaces whose members change the collection (the non-generic ones too: an array is an <see cref="IList"/>).</summary>
    private static readonly Type[] MutableCollectionInterfaces =
        [typeof(ICollection<>), typeof(IList<>), typeof(IDictionary<,>), typeof(ISet<>), typeof(IList), typeof(IDictionary)];

    [Fact]
    public void DomainTypes_ExposeNoMutableCollections()
    {
        var offenders = Domain.GetTypes()
            .Where(t => !t.IsDefined(typeof(CompilerGeneratedAttribute), inherit: false))
            .SelectMany(t => t
                .GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
                .Where(p => IsMutableCollection(p.PropertyType))
                .Select(p => $"{t.Name}.{p.Name} ({p.PropertyType.Name})"))
            .ToList();
        Assert.True(offenders.Count == 0, "Mutable collections exposed by the domain: " + string.Join(", ", offenders));
    }

    [Theory]
    [InlineData(typeof(string[]), true)]
    [InlineData(typeof(byte[]), true)]
    [InlineData(typeof(List<string>), true)]
    [InlineData(typeof(Dictionary<string, Dictionary<string, string>>), true)]
    [InlineData(typeof(HashSet<string>), true)]
    [InlineData(typeof(ICollection<string>), true)]
    [InlineData(typeof(IList<string>), true)]
    [InlineData(typeof(IDictionary<string, string>), true)]
    [InlineData(typeof(ISet<string>), true)]
    [InlineData(typeof(System.Collections.ObjectModel.Collection<string>), true)]
    [InlineData(typeof(string), false)]
    [InlineData(typeof(IEnumerable<string>), false)]
    [InlineData(typeof(IReadOnlyList<string>), false)]
    [InlineData(typeof(IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>), false)]
    [InlineData(typeof(System.Collections.ObjectModel.ReadOnlyCollection<string>), false)]
    [InlineData(typeof(System.Collections.ObjectModel.ReadOnlyDictionary<string, string>), false)]
    [InlineData(typeof(System.Collections.Immutable.ImmutableArray<string>), false)]
    [InlineData(typeof(ReadOnlyMemory<byte>), false)]
    public void MutableCollectionCheck_TellsReadOnlyFromMutable(Type type, bool mutable) => Assert.Equal(mutable, IsMutableCollection(type));

    private static bool IsMutableCollection(Type type)
    {
        if (type.IsArray)
        {
            return true;
        }

        if (IsKnownReadOnly(type))
        {
            return false;
        }

        return IsMutableInterface(type) || type.GetInterfaces().Any(IsMutableInterface);
    }

    private static bool IsMutableInterface(Type type) =>
        MutableCollectionInterfaces.Contains(type.IsGenericType ? type.GetGenericTypeDefinition() : type);

    /// <summary>Types that implement the mutable interfaces only to refuse every change (<c>IsReadOnly</c> is true).</summary>
    private static bool IsKnownReadOnly(Type type) =>
        type.Namespace is "System.Collections.Immutable" or "System.Collections.Frozen"
        || (type.Namespace == "System.Collections.ObjectModel" && type.Name.StartsWith("ReadOnly", StringComparison.Ordinal));
}
