using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace Provisioning.WebApi.Contracts;

/// <summary>
/// Times in request bodies (<c>expiresAt</c>) are RFC 3339: a full date and time with its offset. The framework would also
/// take a date alone or a time without an offset, and read it in the server's time zone; a key would then expire hours
/// away from what its client meant. Answers are written as before (ISO 8601 with the offset).
/// <para>All of RFC 3339 is read, also what <see cref="DateTimeOffset"/> cannot hold as written: an offset beyond ±14:00
/// (up to ±23:59) is read as the instant it names, in UTC; a leap second (<c>23:59:60</c> in UTC, the only minute one
/// can end) as the second after it, as POSIX time counts it.</para>
/// </summary>
public sealed partial class Rfc3339Converter : JsonConverter<DateTimeOffset>
{
    /// <summary>What the model-state mapper says after the field's name.</summary>
    public const string Rule = "must be an RFC 3339 date and time with its offset, such as 2030-01-31T12:00:00Z or 2030-01-31T14:00:00+02:00.";

    private static readonly TimeSpan LargestOffset = TimeSpan.FromHours(14); // DateTimeOffset's

    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String && reader.GetString() is { } text && Parse(text) is { } value
            ? value
            : throw new JsonException(Rule);

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) => writer.WriteStringValue(value);

    /// <summary>The instant <paramref name="text"/> names, or null when it is not RFC 3339 (or names no instant .NET holds).</summary>
    public static DateTimeOffset? Parse(string text)
    {
        var shape = Shape().Match(text);
        if (!shape.Success)
        {
            return null;
        }

        var leapSecond = shape.Groups["second"].Value == "60";
        var local = $"{shape.Groups["date"].Value}T{shape.Groups["minute"].Value}:{(leapSecond ? "59" : shape.Groups["second"].Value)}{shape.Groups["fraction"].Value}";
        if (!DateTime.TryParseExact(local, "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture, DateTimeStyles.None, out var dateTime)
            && !(shape.Groups["fraction"].Length > 8 && DateTime.TryParseExact(local[..(local.IndexOf('.') + 8)], "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF",
                CultureInfo.InvariantCulture, DateTimeStyles.None, out dateTime))) // more digits than .NET's 100 ns ticks (any number: RFC 3339): cut
        {
            return null;
        }

        var offset = TimeSpan.Zero;
        if (shape.Groups["hours"].Success)
        {
            var hours = int.Parse(shape.Groups["hours"].Value, CultureInfo.InvariantCulture);
            var minutes = int.Parse(shape.Groups["minutes"].Value, CultureInfo.InvariantCulture);
            if (hours > 23 || minutes > 59)
            {
                return null;
            }

            offset = new TimeSpan(hours, minutes, 0) * (shape.Groups["sign"].Value == "-" ? -1 : 1);
        }

        try
        {
            var value = offset.Duration() <= LargestOffset
                ? new DateTimeOffset(dateTime, offset)
                : new DateTimeOffset(DateTime.SpecifyKind(dateTime - offset, DateTimeKind.Unspecified), TimeSpan.Zero);
            // A leap second is the last of a UTC day (23:59:60Z, whatever the offset it is written with).
            return !leapSecond ? value : value.UtcDateTime is { Hour: 23, Minute: 59 } ? value.AddSeconds(1) : null;
        }
        catch (ArgumentOutOfRangeException)
        {
            // Before year 1 or after 9999 once the offset is taken off: an instant all the same, at the edge of what .NET
            // holds, so that the field's own rule says what is wrong with it ("in the future", "at most 10 years ahead").
            return dateTime.Year == 1 ? DateTimeOffset.MinValue : DateTimeOffset.MaxValue;
        }
    }

    // RFC 3339 §5.6; "t", "z" and "-00:00" (an unknown local offset: UTC) included. ASCII digits only (RFC 3339's DIGIT):
    // .NET's \d is any Unicode digit, and an offset in Arabic-Indic or fullwidth ones failed its int.Parse (a probe). \z,
    // not $, which also matches before a final line feed ("…Z\n" was read).
    [GeneratedRegex(@"^(?<date>[0-9]{4}-[0-9]{2}-[0-9]{2})[Tt](?<minute>[0-9]{2}:[0-9]{2}):(?<second>[0-9]{2})(?<fraction>\.[0-9]+)?(?:[Zz]|(?<sign>[+-])(?<hours>[0-9]{2}):(?<minutes>[0-9]{2}))\z",
        RegexOptions.CultureInvariant)]
    private static partial Regex Shape();
}
