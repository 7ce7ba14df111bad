using System.Net;
using System.Text.Json.Nodes;
using Provisioning.Domain.Common;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Apps;

[Collection(ServiceTestCollection.Name)]
public sealed class AppsPagingTests(ServiceFixture service)
{
    [Fact]
    public async Task ListApps_PagesForwardAndBackwardWithCursorsAndLinks()
    {
        var tenant = await service.NewTenantAsync();
        var client = tenant.Client();
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(await AppsApiTests.CreateAsync(client, $"App {i}"));
        }

        var first = await client.GetJsonAsync("/v2/apps?page[size]=2");
        Assert.Equal(ids[..2], Ids(first));
        Assert.True((bool)first["meta"]!["hasMore"]!);
        Assert.Equal(ids[1], (string?)first["meta"]!["afterCursor"]);
        Assert.Null(first["meta"]!["beforeCursor"]);
        Assert.Null(first["links"]!["prev"]);
        var next = (string)first["links"]!["next"]!;
        Assert.StartsWith(service.BaseAddress.ToString().TrimEnd('/') + "/v2/apps?", next);
        Assert.Contains($"page[after]={ids[1]}", next);
        Assert.Contains("page[size]=2", next);

        var second = await client.GetJsonAsync(next);
        Assert.Equal(ids[2..4], Ids(second));
        Assert.Equal(ids[2], (string?)second["meta"]!["beforeCursor"]);
        Assert.Equal(ids[3], (string?)second["meta"]!["afterCursor"]);

        var third = await client.GetJsonAsync((string)second["links"]!["next"]!);
        Assert.Equal(ids[4..], Ids(third));
        Assert.False((bool)third["meta"]!["hasMore"]!);
        Assert.Null(third["meta"]!["afterCursor"]);
        Assert.Null(third["links"]!["next"]);

        // And back again.
        var back = await client.GetJsonAsync((string)third["links"]!["prev"]!);
        Assert.Equal(ids[2..4], Ids(back));
        var start = await client.GetJsonAsync((string)back["links"]!["prev"]!);
        Assert.Equal(ids[..2], Ids(start));
        Assert.Null(start["meta"]!["beforeCursor"]);

        // Backwards from past the newest (a cursor of an app deleted since): the last page, and no next page to offer.
        var newest = await client.GetJsonAsync("/v2/apps?page[size]=2&page[before]=ffffffffffffffffffffffff");
        Assert.Equal(ids[3..], Ids(newest));
        Assert.Null(newest["meta"]!["afterCursor"]);
        Assert.Null(newest["links"]!["next"]);
        Assert.Equal(ids[3], (string?)newest["meta"]!["beforeCursor"]);
    }

    [Fact]
    public async Task ListApps_AcceptsPercentEncodedBrackets()
    {
        var tenant = await service.NewTenantAsync();
        var client = tenant.Client();
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(await AppsApiTests.CreateAsync(client, $"Enc {i}"));
        }

        var raw = await client.GetJsonAsync($"/v2/apps?page[size]=1&page[after]={ids[0]}");
        var encoded = await client.GetJsonAsync($"/v2/apps?page%5Bsize%5D=1&page%5Bafter%5D={ids[0]}");
        Assert.Equal([ids[1]], Ids(raw));
        Assert.Equal(Ids(raw), Ids(encoded));
        Assert.Equal(raw["meta"]!.ToJsonString(), encoded["meta"]!.ToJsonString());
    }

    [Fact]
    public async Task ListApps_DefaultsTo25PerPage()
    {
        var tenant = await service.NewTenantAsync();
        var client = tenant.Client();
        for (var i = 0; i < 26; i++)
        {
            await AppsApiTests.CreateAsync(client, $"Many {i}");
        }

        var page = await client.GetJsonAsync("/v2/apps");
        Assert.Equal(25, page["apps"]!.AsArray().Count);
        Assert.True((bool)page["meta"]!["hasMore"]!);
    }

    [Theory]
    [InlineData("page[size]=0", "page[size]")]
    [InlineData("page[size]=101", "page[size]")]
    [InlineData("page[size]=abc", "page[size]")]
    [InlineData("page[after]=nope", "page[after]")]
    [InlineData("page[before]=ZZZZZZZZZZZZZZZZZZZZZZZZ", "page[before]")]
    [InlineData("page[after]=0123456789abcdef01234567&page[before]=0123456789abcdef01234567", "page[before]")]
    [InlineData("filter[serviceAccountId]=x'--", "filter[serviceAccountId]")]
    public async Task ListApps_WithBadPaging_Returns400NamingTheParameter(string query, string field)
    {
        var tenant = await service.NewTenantAsync();
        var body = await tenant.Client().GetJsonAsync($"/v2/apps?{query}", HttpStatusCode.BadRequest);
        Http.AssertV2Error(body, "bad_request");
        Assert.Contains(field, Http.Titles(body));
    }

    private static List<string> Ids(JsonNode page) => [.. page["apps"]!.AsArray().Select(a => (string)a!["id"]!)];
}
