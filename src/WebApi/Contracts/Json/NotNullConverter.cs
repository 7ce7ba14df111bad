using System.Text.Json;
using System.Text.Json.Serialization;

namespace Provisioning.WebApi.Contracts;

/// <summary>
/// For a field that may be left out but has no null value (a name, a status, a setting): an explicit <c>null</c> is a
/// 400 naming the field (see <see cref="Errors.ModelStateErrors"/>), not a silent "leave it as it is" — a client that
/// sends <c>"displayName": null</c> means something the API cannot do, and should hear so. Left out, the field is
/// unchanged (or takes its default); given, it is read as the type's own converters read it. Put on a field with
/// <see cref="NotNullAttribute"/>.
/// </summary>
public sealed class NotNullConverter<T>(string name) : JsonConverter<T>
{
    /// <summary>The message the model-state mapper turns into a sentence naming the field.</summary>
    public const string NullRefused = "null is not a value of this field.";

    private static readonly bool Scalar = typeof(T) == typeof(string) || typeof(T).IsPrimitive || Nullable.GetUnderlyingType(typeof(T)) is not null;

    public override bool HandleNull => true;

    public override T? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            throw new JsonException(NullRefused);
        }

        if (Scalar)
        {
            // The registered converter (SafeStringConverter for text), read in place: its errors carry this field's path.
            return ((JsonConverter<T>)options.GetConverter(typeof(T))).Read(ref reader, typeof(T), options);
        }

        try
        {
            return JsonSerializer.Deserialize<T>(ref reader, options);
        }
        catch (JsonException e) when (e.Path is ['$', .. var inner])
        {
            // An object is read from here as a document of its own, whose paths start again at '$': put this field in front.
            throw new JsonException(e.Message, "$." + name + inner, e.LineNumber, e.BytePositionInLine, e);
        }
    }

    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) =>
        JsonSerializer.Serialize(writer, value, options);
}
