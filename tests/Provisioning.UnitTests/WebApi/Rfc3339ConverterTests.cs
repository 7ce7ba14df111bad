using Provisioning.WebApi.Contracts;

namespace Provisioning.UnitTests.WebApi;

public sealed class Rfc3339ConverterTests
{
    [Theory]
    [InlineData("2030-01-01T00:00:00Z", "2030-01-01T00:00:00.0000000+00:00")]
    [InlineData("2030-01-01t00:00:00z", "2030-01-01T00:00:00.0000000+00:00")]
    [InlineData("2030-01-01T02:00:00+02:00", "2030-01-01T02:00:00.0000000+02:00")]
    [InlineData("2030-01-01T00:00:00-00:00", "2030-01-01T00:00:00.0000000+00:00")]
    [InlineData("2030-01-01T00:00:00+14:00", "2030-01-01T00:00:00.0000000+14:00")]
    [InlineData("2030-01-01T00:00:00.123456789Z", "2030-01-01T00:00:00.1234567+00:00")] // past .NET's 100 ns: cut
    [InlineData("2030-01-01T00:00:00.1234567891234Z", "2030-01-01T00:00:00.1234567+00:00")] // any number of digits
    // Past what .NET holds, at its edge: the field's own rule then says what is wrong ("at most 10 years ahead").
    [InlineData("9999-12-31T23:59:59-23:59", "9999-12-31T23:59:59.9999999+00:00")]
    [InlineData("0001-01-01T00:00:00+00:01", "0001-01-01T00:00:00.0000000+00:00")]
    [InlineData("9999-12-31T23:59:60Z", "9999-12-31T23:59:59.9999999+00:00")]
    // Beyond what DateTimeOffset holds, read as the instant it names, in UTC:
    [InlineData("2030-01-01T00:00:00+15:00", "2029-12-31T09:00:00.0000000+00:00")]
    [InlineData("2030-01-01T00:00:00-23:59", "2030-01-01T23:59:00.0000000+00:00")]
    [InlineData("2030-06-30T23:59:60Z", "2030-07-01T00:00:00.0000000+00:00")] // a leap second: the second after, as POSIX counts
    [InlineData("2030-06-30T23:59:60.5Z", "2030-07-01T00:00:00.5000000+00:00")]
    [InlineData("2030-07-01T05:29:60+05:30", "2030-07-01T05:30:00.0000000+05:30")] // the same second, written in India
    public void Reads_AllOfRfc3339(string text, string expected) =>
        Assert.Equal(expected, Rfc3339Converter.Parse(text)!.Value.ToString("O", System.Globalization.CultureInfo.InvariantCulture));

    [Theory]
    [InlineData("2030-01-01T00:00:00")] // no offset: it would be read in the server's time zone
    [InlineData("2030-01-01")]
    [InlineData("2030-01-01 00:00:00Z")]
    [InlineData("2030-01-01T00:00:00,5Z")]
    [InlineData("2030-02-30T00:00:00Z")]
    [InlineData("2030-01-01T24:00:00Z")]
    [InlineData("2030-01-01T00:00:61Z")]
    [InlineData("2030-01-01T00:00:00+24:00")]
    [InlineData("2030-01-01T00:00:00+02:60")]
    [InlineData("+002030-01-01T00:00:00Z")]
    [InlineData("2030-06-30T12:34:60Z")] // no leap second ends a minute but a UTC day's last
    [InlineData("2030-01-31T12:00:00+\u0662\u0660:\u0660\u0660")] // RFC 3339's digits are ASCII: not Arabic-Indic ones (which failed to parse: 500-shaped)
    [InlineData("2030-01-31T12:00:00+\uFF10\uFF12:\uFF10\uFF10")] // nor fullwidth
    [InlineData("\u0662\u0660\u0663\u0660-01-31T12:00:00Z")]
    [InlineData("2030-01-31T12:00:00.\u0665Z")]
    [InlineData("2030-01-31T12:00:00Z\n")] // a line feed after it: $ took it
    public void Refuses_WhatIsNotRfc3339(string text) => Assert.Null(Rfc3339Converter.Parse(text));
}
