using System.Text.Json;

namespace Provisioning.WebApi.Contracts;

public static class JsonElementExtensions
{
    /// <summary>An absent JSON property (<see cref="JsonValueKind.Undefined"/>) as null.</summary>
    public static JsonElement? AsOptional(this JsonElement element) =>
        element.ValueKind == JsonValueKind.Undefined ? null : element;
}
