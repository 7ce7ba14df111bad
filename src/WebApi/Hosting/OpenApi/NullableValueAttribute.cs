using System.Text.Json;
using Microsoft.OpenApi;

namespace Provisioning.WebApi.Hosting.OpenApi;

/// <summary>Declares the JSON type of a tri-state (absent / null / value) request field bound as <see cref="JsonElement"/>.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
public sealed class NullableValueAttribute(JsonSchemaType type, string? format = null) : Attribute
{
    public JsonSchemaType Type { get; } = type;
    public string? Format { get; } = format;
}
