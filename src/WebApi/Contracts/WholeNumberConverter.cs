using System.Text.Json;
using System.Text.Json.Serialization;

namespace Provisioning.WebApi.Contracts;

/// <summary>
/// Whole-number fields of request bodies (<c>contacts</c>, <c>conversationRetentionSeconds</c>, …) take a JSON number whose
/// value is whole, however it is written: <c>5000</c>, <c>5000.0</c>, <c>5e3</c>. JSON has one number type, and clients that
/// serialise through a float (Python's <c>json.dumps(5000.0)</c>, a DailyStory-style <c>contacts</c> "number") send the
/// second; the framework refused it as "an invalid value or type". A fraction, a string or a value past 2147483647 is a
/// 400 saying so. Answers are written as before.
/// </summary>
public sealed class WholeNumberConverter : JsonConverter<int>
{
    /// <summary>What the model-state mapper says after the field's name.</summary>
    public const string Rule = "must be a whole number, at most 2147483647.";

    public override int Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Number
            && (reader.TryGetInt32(out var value) || (reader.TryGetDecimal(out var number) && TryWhole(number, out value))))
        {
            return value;
        }

        throw new JsonException(Rule);
    }

    public override void Write(Utf8JsonWriter writer, int value, JsonSerializerOptions options) => writer.WriteNumberValue(value);

    /// <summary>A JSON number's value as an <see cref="int"/> when it is whole and in range (also for fields read as a <see cref="JsonElement"/>).</summary>
    public static bool TryRead(JsonElement element, out int value)
    {
        value = 0;
        return element.ValueKind == JsonValueKind.Number
            && (element.TryGetInt32(out value) || (element.TryGetDecimal(out var number) && TryWhole(number, out value)));
    }

    private static bool TryWhole(decimal number, out int value)
    {
        var whole = number == decimal.Truncate(number) && number is >= int.MinValue and <= int.MaxValue;
        value = whole ? (int)number : 0;
        return whole;
    }
}
