using System.Text.Json;
using Provisioning.Application.Common.Exceptions;
using Provisioning.Application.Common.Optional;

namespace Provisioning.WebApi.Contracts;

public static class JsonElementExtensions
{
    /// <summary>An absent JSON property (<see cref="JsonValueKind.Undefined"/>) as null.</summary>
    public static JsonElement? AsOptional(this JsonElement element) =>
        element.ValueKind == JsonValueKind.Undefined ? null : element;

    /// <summary>A JSON field that may be absent (leave it) or present with any value, <c>null</c> included.</summary>
    public static Optional<JsonElement> ToOptionalJson(this JsonElement element) =>
        element.ValueKind == JsonValueKind.Undefined ? Optional<JsonElement>.Absent : Optional<JsonElement>.Of(element);

    /// <summary>A field that may be absent (leave it), null (clear it) or a string.</summary>
    public static Optional<string?> ToOptionalString(this JsonElement element, string field) => element.ValueKind switch
    {
        JsonValueKind.Undefined => Optional<string?>.Absent,
        JsonValueKind.Null => Optional<string?>.Of(null),
        // As SafeStringConverter does for every string-typed body field, which a JsonElement never reaches.
        JsonValueKind.String when element.GetString() is { } text && !Domain.Common.Text.IsValidFreeText(text) =>
            throw new RequestValidationException(field, Domain.Common.Text.FreeTextRule(field)),
        JsonValueKind.String => Optional<string?>.Of(element.GetString()),
        _ => throw new RequestValidationException(field, $"{field} must be a string or null."),
    };

    /// <summary>A field that may be absent (leave it), null (clear it) or a whole number.</summary>
    public static Optional<int?> ToOptionalInt(this JsonElement element, string field) => element.ValueKind switch
    {
        JsonValueKind.Undefined => Optional<int?>.Absent,
        JsonValueKind.Null => Optional<int?>.Of(null),
        JsonValueKind.Number when WholeNumberConverter.TryRead(element, out var value) => Optional<int?>.Of(value),
        _ => throw new RequestValidationException(field, $"{field} {WholeNumberConverter.Rule.TrimEnd('.')}, or null."),
    };
}
