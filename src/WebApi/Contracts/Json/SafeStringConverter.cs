using System.Text.Json;
using System.Text.Json.Serialization;
using Provisioning.Domain.Common;

namespace Provisioning.WebApi.Contracts;

/// <summary>
/// Every string a request body carries (values and object keys) is refused when it holds NUL or a
/// C0 control character other than tab, CR and LF: such text cannot be stored (PostgreSQL has no NUL)
/// and would otherwise surface as a 500. The field is named in the 400 (see <see cref="Errors.ModelStateErrors"/>).
/// Stricter rules (names hold no control character at all) are the domain's.
/// </summary>
public sealed class SafeStringConverter : JsonConverter<string>
{
    /// <summary>The message for a non-string where a string belongs; the model-state mapper turns it into a sentence naming the field.</summary>
    public const string NotAString = "A string is expected.";

    /// <summary>The message for an escape that is not Unicode text (an unpaired surrogate such as <c>\ud800</c>).</summary>
    public const string NotUnicode = "The value is not valid Unicode text.";

    public override bool HandleNull => false;

    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new JsonException(NotAString);
        }

        return Check(Decode(ref reader));
    }

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);

    public override string ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        Check(Decode(ref reader));

    public override void WriteAsPropertyName(Utf8JsonWriter writer, string value, JsonSerializerOptions options) =>
        writer.WritePropertyName(value);

    private static string Decode(ref Utf8JsonReader reader)
    {
        try
        {
            return reader.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw new JsonException(NotUnicode); // "Cannot read invalid UTF-16 JSON text as string"
        }
    }

    private static string Check(string value) =>
        Text.IsValidFreeText(value) ? value : throw new ControlCharacterException();
}
