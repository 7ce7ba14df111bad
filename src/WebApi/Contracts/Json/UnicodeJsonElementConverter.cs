using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Provisioning.WebApi.Contracts;

/// <summary>
/// The free-form parts of a request body (metadata, a PATCH field that may be absent or null) are read as
/// <see cref="JsonElement"/>, which keeps its strings undecoded, so <see cref="SafeStringConverter"/> never sees them,
/// and an escape that is not Unicode text (an unpaired surrogate such as <c>"\ud800"</c>, which .NET cannot decode and
/// PostgreSQL does not store) surfaced as a 500 wherever the text was first read. This reads them as the framework does
/// (duplicate keys refused alike) and decodes every string inside, values and object keys, so that such a body is a 400
/// naming the field. The other text rules stay where they name the member (the metadata rules, the logo rule).
/// </summary>
public sealed class UnicodeJsonElementConverter : JsonConverter<JsonElement>
{
    public override JsonElement Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        try
        {
            // The duplicate-key check (AllowDuplicateProperties = false) decodes object keys as it reads.
            var element = JsonMetadataServices.JsonElementConverter.Read(ref reader, typeToConvert, options);
            Walk(element);
            return element;
        }
        catch (InvalidOperationException)
        {
            throw new JsonException(SafeStringConverter.NotUnicode); // "Cannot read invalid UTF-16 JSON text as string"
        }
    }

    public override void Write(Utf8JsonWriter writer, JsonElement value, JsonSerializerOptions options) =>
        JsonMetadataServices.JsonElementConverter.Write(writer, value, options);

    private static void Walk(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                _ = element.GetString();
                break;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    _ = property.Name;
                    Walk(property.Value);
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    Walk(item);
                }

                break;
        }
    }
}
