using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Provisioning.Infrastructure.Persistence;

/// <summary>
/// Byte strings the domain exposes read-only (<see cref="ReadOnlyMemory{T}"/>: protected secrets, secret hashes) are
/// <c>bytea</c> columns, as the <c>byte[]</c> they were. The aggregates replace such a value, never change it in place,
/// so a snapshot is the value itself and equality is by content.
/// </summary>
internal static class ReadOnlyBytes
{
    public sealed class Converter() : ValueConverter<ReadOnlyMemory<byte>, byte[]>(v => v.ToArray(), v => new ReadOnlyMemory<byte>(v));

    public sealed class Comparer() : ValueComparer<ReadOnlyMemory<byte>>((a, b) => ContentEquals(a, b), v => ContentHash(v), v => v);

    private static bool ContentEquals(ReadOnlyMemory<byte> a, ReadOnlyMemory<byte> b) => a.Span.SequenceEqual(b.Span);

    private static int ContentHash(ReadOnlyMemory<byte> value)
    {
        var hash = new HashCode();
        hash.AddBytes(value.Span);
        return hash.ToHashCode();
    }
}
