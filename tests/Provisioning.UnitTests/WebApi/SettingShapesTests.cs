using Microsoft.Extensions.Configuration;
using Provisioning.WebApi.Hosting;

namespace Provisioning.UnitTests.WebApi;

/// <summary>A known setting in a shape it cannot take is refused by name (a probe of every setting misconfigured).</summary>
public sealed class SettingShapesTests
{
    private static IConfiguration Environment(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key.Replace("__", ":", StringComparison.Ordinal), (string?)s.Value))).Build();

    [Theory]
    // null read as 0: the rate limit and the failed-attempt guard off; as false: the migrations left undone.
    [InlineData("""{"Provisioning":{"RateLimit":{"PermitsPerMinute":null}}}""", "Provisioning:RateLimit:PermitsPerMinute is null (or an empty object) in a settings file")]
    [InlineData("""{"Provisioning":{"Database":{"MigrateOnStartup":null}}}""", "Provisioning:Database:MigrateOnStartup is null")]
    [InlineData("""{"Provisioning":{"Jwt":{"Lifetime":{}}}}""", "Provisioning:Jwt:Lifetime is null (or an empty object)")]
    // A list or an object for one value: the binder's stack trace, or the value ignored.
    [InlineData("""{"Provisioning":{"Bootstrap":{"Secret":["a-secret-of-more-than-32-characters-0123"]}}}""", "Provisioning:Bootstrap:Secret takes one value, not a list or an object (it is given as Provisioning:Bootstrap:Secret:0).")]
    [InlineData("""{"Provisioning":{"Bootstrap":{"TenantName":{"a":"b"}}}}""", "Provisioning:Bootstrap:TenantName takes one value, not a list or an object (it is given as Provisioning:Bootstrap:TenantName:a).")]
    [InlineData("""{"Provisioning":{"Database":{"MigrateOnStartup":[false]}}}""", "Provisioning:Database:MigrateOnStartup takes one value")]
    [InlineData("""{"provisioning":{"publicbaseurl":{"a":"https://x.example"}}}""", "Provisioning:PublicBaseUrl takes one value")]
    public void AKnownSettingOfTheWrongShape_IsRefusedByName(string json, string refusal)
    {
        var said = Assert.Throws<StartupException>(() => SettingShapes.Check(JsonSettings.Of(json))).Message;
        Assert.StartsWith(refusal, said);
        Assert.DoesNotContain("a-secret-of", said, StringComparison.Ordinal);
    }

    [Fact]
    public void AnIndexUnderASettingOfOneValue_IsRefused_InTheEnvironmentToo() =>
        Assert.Equal("Provisioning:Secrets:MasterKey takes one value, not a list or an object (it is given as Provisioning:Secrets:MasterKey:0).",
            Assert.Throws<StartupException>(() => SettingShapes.Check(Environment(("Provisioning__Secrets__MasterKey__0", "abc")))).Message);

    [Theory]
    [InlineData("""{"Provisioning":{"RateLimit":{"PermitsPerMinute":600},"Jwt":{},"Database":{"MigrateOnStartup":false}}}""")] // an empty section is none
    [InlineData("""{"Provisioning":{"TrustedProxies":["10.0.0.1","10.0.0.2"],"Secrets":{"PreviousMasterKeys":null}}}""")] // lists: either shape
    [InlineData("""{"Provisioning":{"TrustedProxies":null,"Other":null}}""")] // an unknown one: UnknownSettings warns of it
    // A text setting's null is unset: an override file taking back a base file's bootstrap secret (a review).
    [InlineData("""{"Provisioning":{"Bootstrap":{"Secret":null,"KeyId":null,"RootKeyFile":{}},"PublicBaseUrl":null,"SettingsFolder":null}}""")]
    public void SettingsOfTheirShape_AreTaken(string json) => SettingShapes.Check(JsonSettings.Of(json));

    [Fact]
    public void OneSettingTwiceInTheEnvironment_NamesDifferingOnlyInCase_IsRefused_NamingBoth()
    {
        // Linux keeps both; the configuration kept one, by the environment's order (a probe: either master key won).
        var twice = new System.Collections.Hashtable
        {
            ["Provisioning__Secrets__MasterKey"] = "a-key-not-said",
            ["provisioning__secrets__masterkey"] = "another-key-not-said",
        };
        var said = Assert.Throws<StartupException>(() => SettingShapes.CheckEnvironment(twice)).Message;
        Assert.Equal("The environment gives one setting twice, as Provisioning__Secrets__MasterKey and provisioning__secrets__masterkey " +
                     "(setting names are compared without regard to case): keep one.", said);

        // The host's settings too: the prefix is matched without regard to case, so both are the host's "urls".
        said = Assert.Throws<StartupException>(() => SettingShapes.CheckEnvironment(
            new System.Collections.Hashtable { ["ASPNETCORE_URLS"] = "http://127.0.0.1:8080", ["aspnetcore_urls"] = "http://0.0.0.0:80" })).Message;
        Assert.Equal("The environment gives one setting twice, as ASPNETCORE_URLS and aspnetcore_urls (setting names are compared without regard to case): keep one.", said);
        SettingShapes.CheckEnvironment(new System.Collections.Hashtable { ["ASPNETCORE_URLS"] = "http://127.0.0.1:8080", ["DOTNET_URLS"] = "http://0.0.0.0:80" });
        // The runtime's own variables are read by their exact names: two spellings are two variables to it.
        SettingShapes.CheckEnvironment(new System.Collections.Hashtable { ["DOTNET_gcServer"] = "1", ["DOTNET_GCSERVER"] = "0" });

        // Not the service's: left alone (a proxy given in both cases is common).
        SettingShapes.CheckEnvironment(new System.Collections.Hashtable { ["HTTP_PROXY"] = "http://p:3128", ["http_proxy"] = "http://p:3128" });
        SettingShapes.CheckEnvironment(new System.Collections.Hashtable { ["Kestrel__Endpoints__Http__Url"] = "http://+:80", ["Provisioning__RateLimit__PermitsPerMinute"] = "0" });
    }
}
