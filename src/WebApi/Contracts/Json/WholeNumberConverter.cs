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
            && (reader.TryGetInt32(out var value) || TryWhole(reader.HasValueSequence ? System.Buffers.BuffersExtensions.ToArray(reader.ValueSequence) : reader.ValueSpan, out value)))
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
            && (element.TryGetInt32(out value) || TryWhole(System.Text.Encoding.UTF8.GetBytes(element.GetRawText()), out value));
    }

    /// <summary>
    /// A JSON number's text (already validated by the reader: <c>-?int(.frac)?([eE][+-]?exp)?</c>) as an <see cref="int"/>
    /// when its value is exactly whole and in range, digit by digit: through a <see cref="decimal"/> or a double, 1e-400 or
    /// 0.99999999999999999999999999999 rounded to a whole number (a review).
    /// </summary>
    private static bool TryWhole(ReadOnlySpan<byte> text, out int value)
    {
        value = 0;
        var negative = text[0] == (byte)'-';
        var rest = negative ? text[1..] : text;
        var e = rest.IndexOfAny((byte)'e', (byte)'E');
        var mantissa = e < 0 ? rest : rest[..e];
        if (!int.TryParse(e < 0 ? "0" : System.Text.Encoding.ASCII.GetString(rest[(e + 1)..]), System.Globalization.NumberStyles.AllowLeadingSign,
                System.Globalization.CultureInfo.InvariantCulture, out var exponent) || Math.Abs(exponent) > 1000)
        {
            return false; // an exponent past ±1000: never a whole number in range, or zero written absurdly
        }

        var dot = mantissa.IndexOf((byte)'.');
        var point = (dot < 0 ? mantissa.Length : dot) + exponent; // where the decimal point falls among the digits
        long whole = 0;
        var digit = 0;
        foreach (var c in mantissa)
        {
            if (c == (byte)'.')
            {
                continue;
            }

            if (digit >= point)
            {
                if (c != (byte)'0')
                {
                    return false; // a fraction
                }
            }
            else if ((whole = (whole * 10) + (c - '0')) > (long)int.MaxValue + 1)
            {
                return false;
            }

            digit++;
        }

        for (; digit < point; digit++)
        {
            if ((whole *= 10) > (long)int.MaxValue + 1)
            {
                return false;
            }
        }

        whole = negative ? -whole : whole;
        if (whole is < int.MinValue or > int.MaxValue)
        {
            return false;
        }

        value = (int)whole;
        return true;
    }
}
