using Provisioning.Domain.Common;

namespace Provisioning.UnitTests.Domain;

/// <summary>A URL a client sent, as a log line may print it: never with a user name or password.</summary>
public sealed class PrintableUrlTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("https://cdn.example.com/logo.png")]
    [InlineData("https://cdn.example.com/a@2x.png")]
    [InlineData("not a url")]
    public void AUrlWithoutUserInfo_IsPrintedAsSent(string? url) => Assert.Equal(url, Text.PrintableUrl(url));

    [Theory]
    [InlineData("https://user:hunter2@cdn.example.com/logo.png")]
    [InlineData("https://hunter2@cdn.example.com/")]
    [InlineData(" http://u:hunter2@cdn.example.com ")]
    [InlineData("https://u:hunter2@")] // not a URL Uri reads: where the password would be is not known
    public void AUrlWithAUserNameOrPassword_OrAnAtThatCannotBeRead_IsNotPrinted(string url)
    {
        var printed = Text.PrintableUrl(url);
        Assert.DoesNotContain("hunter2", printed, StringComparison.Ordinal);
        Assert.Contains("not printed", printed, StringComparison.Ordinal);
    }
}
