using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.FrontDoor;

/// <summary>Absolute URLs (paging links, Location) from Provisioning:PublicBaseUrl, or through Provisioning:TrustedProxies only.</summary>
[Collection(ServiceTestCollection.Name)]
public sealed class PublicUrlTests(ServiceFixture service)
{
    private async Task<(ConfiguredServiceFactory Factory, HttpClient Client)> StartAsync(string setting, string value, CollectingLoggerProvider? logs = null)
    {
        var settings = ServiceFixture.RootKeySettings();
        settings[setting] = value;
        var factory = new ConfiguredServiceFactory(await service.Postgres.CreateMigratedDatabaseAsync("urls_" + Guid.NewGuid().ToString("N")[..8]), settings,
            services: logs is null ? null : s => s.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(logs));
        factory.UseKestrel(0);
        factory.StartServer();
        var address = factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var client = new HttpClient { BaseAddress = new Uri(address.Replace("[::]", "127.0.0.1").Replace("localhost", "127.0.0.1")) };
        client.DefaultRequestHeaders.Authorization = ServiceFixture.BasicHeader(ServiceFixture.RootKeyId, ServiceFixture.RootSecret);
        return (factory, client);
    }

    private static async Task<(string? Next, Uri? Location)> LinksAsync(HttpClient client, params (string Name, string Value)[] headers)
    {
        using var create = new HttpRequestMessage(HttpMethod.Post, "/v2/apps") { Content = Http.Json(new { displayName = "linked" }) };
        using var list = new HttpRequestMessage(HttpMethod.Get, "/v2/apps?page[size]=1");
        foreach (var (name, value) in headers)
        {
            create.Headers.TryAddWithoutValidation(name, value);
            list.Headers.TryAddWithoutValidation(name, value);
        }

        using var created = await client.SendAsync(create);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        await client.PostJsonAsync("/v2/apps", new { displayName = "second" }, HttpStatusCode.Created);
        using var listed = await client.SendAsync(list);
        var next = (string?)JsonNode.Parse(await listed.Content.ReadAsStringAsync())!["links"]!["next"];
        return (next, created.Headers.Location);
    }

    [Fact]
    public async Task APublicBaseUrl_StartsEveryLinkAndLocation_WhateverTheRequestSays()
    {
        var (factory, client) = await StartAsync("Provisioning:PublicBaseUrl", "https://api.example.com/sc");
        await using var _ = factory;
        using var __ = client;
        var (next, location) = await LinksAsync(client, ("X-Forwarded-Host", "evil.example"), ("X-Forwarded-Proto", "http"));
        Assert.StartsWith("https://api.example.com/sc/v2/apps?page[after]=", next);
        Assert.Contains("page[size]=1", next);
        Assert.StartsWith("https://api.example.com/sc/v2/apps/", location!.ToString());
    }

    [Fact]
    public async Task ATrustedProxy_ForwardsSchemeAndHost()
    {
        var (factory, client) = await StartAsync("Provisioning:TrustedProxies:0", "127.0.0.1");
        await using var _ = factory;
        using var __ = client;
        var (next, location) = await LinksAsync(client, ("X-Forwarded-Host", "api.example.com"), ("X-Forwarded-Proto", "https"), ("X-Forwarded-For", "203.0.113.7"));
        Assert.StartsWith("https://api.example.com/v2/apps?", next);
        Assert.StartsWith("https://api.example.com/v2/apps/", location!.ToString());
    }

    [Fact]
    public async Task ForwardedHeadersFromAnyoneElse_AreIgnored()
    {
        var (factory, client) = await StartAsync("Provisioning:TrustedProxies:0", "10.0.0.0/8");
        await using var _ = factory;
        using var __ = client;
        var (next, location) = await LinksAsync(client, ("X-Forwarded-Host", "evil.example"), ("X-Forwarded-Proto", "https"), ("Host", "evil.example"));
        var own = client.BaseAddress!.ToString().TrimEnd('/');
        Assert.StartsWith(own + "/v2/apps?", next);
        Assert.StartsWith(own + "/v2/apps/", location!.ToString());
    }

    [Theory]
    [InlineData("Provisioning:PublicBaseUrl", "https://api.example.com/sc", "X-Forwarded-For", "untrusted")] // a proxy in front, and none listed
    [InlineData("Provisioning:TrustedProxies:0", "10.0.0.0/8", "X-Forwarded-For", "untrusted")]            // a proxy listed, but not this one
    [InlineData("Provisioning:TrustedProxies:0", "10.0.0.0/8", "X-Real-IP", "untrusted")]
    [InlineData("Provisioning:PublicBaseUrl", "https://api.example.com/sc", "Forwarded", "untrusted")]
    [InlineData("Provisioning:TrustedProxies:0", "127.0.0.1", "X-Forwarded-For,X-Real-IP,Forwarded", null)] // listed, and read: nothing to say
    [InlineData("Provisioning:TrustedProxies:0", "127.0.0.1", "X-Real-IP", "unread")]                       // listed, but sends what is not read
    [InlineData("Provisioning:TrustedProxies:0", "127.0.0.1", "Forwarded", "unread")]
    public async Task AForwardedAddressNotRead_IsAWarning_ThenOnceAnHour_WithoutTheAddress(string setting, string value, string headers, string? warning)
    {
        // Behind a proxy the service does not trust, or one that sends the client's address in a header the service does not
        // read, every client is the proxy's one address to the failed-attempt guard and the rate limit (a probe: one client's
        // wrong secrets, 429 for all, and nothing in the log said why).
        var logs = new CollectingLoggerProvider();
        var (factory, client) = await StartAsync(setting, value, logs);
        await using var _ = factory;
        using var __ = client;
        var sent = headers.Split(',');
        for (var i = 0; i < 3; i++)
        {
            using var forwarded = new HttpRequestMessage(HttpMethod.Get, "/v2/apps");
            foreach (var header in sent)
            {
                forwarded.Headers.TryAddWithoutValidation(header, header == "Forwarded" ? "for=203.0.113.7;proto=https" : "203.0.113.7");
            }

            using var answer = await client.SendAsync(forwarded);
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        }

        using (var plain = await client.GetAsync("/v2/apps"))
        {
            Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
        }

        const string category = "Warning Provisioning.WebApi.Hosting.FrontDoor.ForwardedAddressWarnings: 1 request(s) since ";
        var untrusted = logs.Lines.Where(l => l.Contains($"came with a forwarded client address ({sent[0]} in the last) from a peer that is not in Provisioning:TrustedProxies", StringComparison.Ordinal)).ToList();
        var unread = logs.Lines.Where(l => l.Contains($"came from a proxy in Provisioning:TrustedProxies with {sent[0]} and no X-Forwarded-For", StringComparison.Ordinal)).ToList();
        Assert.Equal(warning == "untrusted" ? 1 : 0, untrusted.Count);
        Assert.Equal(warning == "unread" ? 1 : 0, unread.Count);
        Assert.All(untrusted.Concat(unread), line => Assert.StartsWith(category, line, StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Lines, line => line.Contains("ForwardedAddressWarnings", StringComparison.Ordinal) && !line.StartsWith(category, StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Lines, line => line.Contains("203.0.113.7", StringComparison.Ordinal)
            || (line.Contains("ForwardedAddressWarnings", StringComparison.Ordinal) && line.Contains("127.0.0.1", StringComparison.Ordinal)));
    }
}
