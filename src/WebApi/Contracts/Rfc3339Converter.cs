using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace Provisioning.WebApi.Contracts;

/// <summary>
/// Times in request bodies (<c>expiresAt</c>) are RFC 3339: a full date and time with its offset. The framework would also
/// take a date alone or a time without an offset, and read it in the server's time zone; a key would then expire hours
/// away from what its client meant. Answers are written as before (ISO 8601 with the offset).
/// </summary>
public sealed partial class Rfc3339Converter : JsonConverter<DateTimeOffset>
{
    /// <summary>What the model-state mapper says after the field's name.</summary>
    public const string Rule = "must be an RFC 3339 date and time with its offset, such as 2030-01-31T12:00:00Z or 2030-01-31T14:00:00+02:00.";

    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String && reader.GetString() is { } text && Shape().IsMatch(text)
            && DateTimeOffset.TryParse(text.ToUpperInvariant(), CultureInfo.InvariantCulture, DateTimeStyles.None, out var value)) // RFC 3339 allows "t" and "z"
        {
            return value;
        }

        throw new JsonException(Rule);
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) => writer.WriteStringValue(value);

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex Shape();
}
