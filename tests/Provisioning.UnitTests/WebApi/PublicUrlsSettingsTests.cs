using Microsoft.Extensions.Configuration;
using Provisioning.WebApi.Hosting;
using Provisioning.WebApi.Hosting.FrontDoor;

namespace Provisioning.UnitTests.WebApi;

/// <summary>The public base URL and the trusted proxies as the start reads them: refused in one sentence, never printing a password.</summary>
public sealed class PublicUrlsSettingsTests
{
    private static PublicUrls Read(params (string Key, string Value)[] settings) =>
        new(new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))).Build());

    [Theory]
    [InlineData("https://user:S3cretPW@api.example.com/sc?x=1")] // refused for its query: the URL was quoted whole (a probe)
    [InlineData("ftp://user:S3cretPW@api.example.com")]
    [InlineData("https://user:S3cretPW@api.example.com/sc")]
    public void APasswordInThePublicBaseUrl_IsNeverPrinted(string url)
    {
        var refusal = Assert.Throws<StartupException>(() => Read(("Provisioning:PublicBaseUrl", url)));
        Assert.StartsWith("Provisioning:PublicBaseUrl must ", refusal.Message);
        Assert.DoesNotContain("S3cretPW", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AQueryInThePublicBaseUrl_IsNotQuoted_ItMayHoldAToken() =>
        Assert.EndsWith("it is 'https://api.example.com/sc?…'.",
            Assert.Throws<StartupException>(() => Read(("Provisioning:PublicBaseUrl", "https://api.example.com/sc?token=S3cretPW"))).Message);

    [Fact]
    public void ATrustedProxyWithoutAnIndex_IsOne_AsIndexedOnesAre()
    {
        // Provisioning__TrustedProxies=10.0.0.5 was read as no proxy at all, without a word.
        Assert.True(Read(("Provisioning:TrustedProxies", "10.0.0.5")).HasTrustedProxies);
        Assert.True(Read(("Provisioning:TrustedProxies:0", "10.0.0.0/8")).HasTrustedProxies);
        Assert.False(Read(("Provisioning:TrustedProxies", " ")).HasTrustedProxies);
        Assert.Contains("'zzz' is neither", Assert.Throws<StartupException>(() => Read(("Provisioning:TrustedProxies", "zzz"))).Message);
    }
}
