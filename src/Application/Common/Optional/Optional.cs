namespace Provisioning.Application.Common.Optional;

/// <summary>A field of a partial update: absent (leave it), or present with a value that may be null (set or clear it).</summary>
public readonly record struct Optional<T>(bool IsSet, T Value)
{
    public static Optional<T> Absent => default;

    public static Optional<T> Of(T value) => new(true, value);
}
