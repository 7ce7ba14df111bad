using Microsoft.Extensions.Configuration;
using Provisioning.WebApi.Hosting;

namespace Provisioning.UnitTests.WebApi;

public sealed class UnknownSettingsTests
{
    [Fact]
    public void AnUnknownSettingGivenNullOrEmpty_InASettingsFile_IsNamed()
    {
        // A JSON null (or {}) under a misspelt name was passed over without a word, as if it were a section.
        var config = JsonSettings.Of("""
            { "Provisioning": { "RateLimit": { "PermitsPerMinut": null }, "Nothing": {}, "TrustedProxy": [],
                                "Jwt": { "Lifetime": "1.00:00:00" }, "PublicBaseUrl": null } }
            """);
        Assert.Equal(["Provisioning:Nothing", "Provisioning:RateLimit:PermitsPerMinut", "Provisioning:TrustedProxy"], UnknownSettings.In(config));
    }

    [Fact]
    public void AValueGivenAtAKnownSectionsName_IsNamed() =>
        // Not a section given empty: a setting of the service's misplaced (RateLimit for RateLimit:PermitsPerMinute).
        Assert.Equal(["Provisioning:RateLimit"], UnknownSettings.In(new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Provisioning:RateLimit"] = "600" }).Build()));

    [Theory]
    [InlineData("Provisioning:TrustedProxy:0", "Provisioning:TrustedProxies")]
    [InlineData("Provisioning:RateLimit:PermitsPerMinut", "Provisioning:RateLimit:PermitsPerMinute")]
    [InlineData("Provisioning:Foo", null)]
    [InlineData("Provisioning:Bootstrap:KeyFile", null)]   // no KeyId: the shared prefix made it near (a review)
    [InlineData("Provisioning:Bootstrap:TenantId", null)]
    [InlineData("Provisioning:Secrets:Key", null)]
    [InlineData("Provisioning:Jwt:Lifetim", "Provisioning:Jwt:Lifetime")]
    [InlineData("Provisioning:Secret:MasterKey", "Provisioning:Secrets:MasterKey")]
    [InlineData("Provisioning:Bootstrap:Secert", "Provisioning:Bootstrap:Secret")]
    [InlineData("Provisioning:Nothing", null)]
    [InlineData("Provisioning:RateLimit", null)]
    public void AMisspeltSetting_IsToldTheOneItWasMeantToBe(string name, string? meant) =>
        Assert.Equal(meant, UnknownSettings.Meant(name));

    [Theory]
    [InlineData("""{ "Provisioning": {} }""")]
    [InlineData("""{ "Provisioning": null }""")]
    [InlineData("""{ "Logging": { "LogLevel": { "Default": "Warning" } } }""")]
    [InlineData("""{ "Provisioning": { "RateLimit": {}, "Secrets": { "PreviousMasterKeys": [] }, "TrustedProxies": null } }""")]
    public void KnownSectionsGivenEmpty_AndNoProvisioningAtAll_AreNotNamed(string json) =>
        Assert.Empty(UnknownSettings.In(JsonSettings.Of(json)));
}
