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
    private async Task<(ConfiguredServiceFactory Factory, HttpClient Client)> StartAsync(string setting, string value)
    {
        var settings = ServiceFixture.RootKeySettings();
        settings[setting] = value;
        var factory = new ConfiguredServiceFactory(await service.Postgres.CreateDatabaseAsync("urls_" + Guid.NewGuid().ToString("N")[..8]), settings);
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
}
