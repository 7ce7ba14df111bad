using System.Net;
using System.Net.Http.Headers;
using Microsoft.EntityFrameworkCore;
using Provisioning.Domain.Common;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.V1;

/// <summary>The v1.1 routes speak Sunshine's v1.1 shapes: _id/name, limit/offset lists, {"error":{code,description}}.</summary>
[Collection(ServiceTestCollection.Name)]
public sealed class V1CompatibilityTests(ServiceFixture service)
{
    [Fact]
    public async Task Apps_UseV1Shapes_AndPutMerges()
    {
        var client = (await service.NewTenantAsync()).Client();
        var app = (await client.PostJsonAsync("/v1.1/apps", new { name = "Legacy", metadata = new { a = 1, b = 2 } }, HttpStatusCode.Created))["app"]!;
        var id = (string)app["_id"]!;
        Assert.Equal("Legacy", (string?)app["name"]);
        Assert.False(app.AsObject().ContainsKey("displayName"));
        Assert.True((bool)app["settings"]!["maskCreditCardNumbers"]!);

        var updated = (await client.PutJsonAsync($"/v1.1/apps/{id}", new { metadata = new { a = (int?)null, c = 3 } }))["app"]!;
        Assert.Equal("Legacy", (string?)updated["name"]);
        Assert.Equal("""{"b":2,"c":3}""", updated["metadata"]!.ToJsonString());

        Assert.Equal("Legacy", (string?)(await client.GetJsonAsync($"/v1.1/apps/{id}"))["app"]!["name"]);
        await client.DeleteJsonAsync($"/v1.1/apps/{id}");
        Http.AssertV1Error(await client.GetJsonAsync($"/v1.1/apps/{id}", HttpStatusCode.NotFound), "app_not_found");
    }

    [Fact]
    public async Task Lists_PageByLimitAndOffset()
    {
        var client = (await service.NewTenantAsync()).Client();
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((string)(await client.PostJsonAsync("/v1.1/apps", new { name = $"L{i}" }, HttpStatusCode.Created))["app"]!["_id"]!);
        }

        var first = await client.GetJsonAsync("/v1.1/apps?limit=2");
        Assert.Equal(ids[..2], first["apps"]!.AsArray().Select(a => (string)a!["_id"]!));
        Assert.True((bool)first["hasMore"]!);
        Assert.Equal(0, (int)first["offset"]!);

        var second = await client.GetJsonAsync("/v1.1/apps?limit=2&offset=2");
        Assert.Equal(ids[2..], second["apps"]!.AsArray().Select(a => (string)a!["_id"]!));
        Assert.False((bool)second["hasMore"]!);
        Assert.Equal(2, (int)second["offset"]!);

        foreach (var bad in new[] { "limit=0", "limit=101", "offset=-1", "limit=abc" })
        {
            Http.AssertV1Error(await client.GetJsonAsync($"/v1.1/apps?{bad}", HttpStatusCode.BadRequest), "bad_request");
        }
    }

    [Fact]
    public async Task ServiceAccountsAndKeys_UseV1Shapes_AndKeyCreationAnswers200()
    {
        var client = (await service.NewTenantAsync()).Client();
        var sa = (await client.PostJsonAsync("/v1.1/serviceaccounts", new { name = "Legacy SA" }, HttpStatusCode.Created))["serviceAccount"]!;
        var saId = (string)sa["_id"]!;
        Assert.Equal("Legacy SA", (string?)sa["name"]);

        var key = (await client.PostJsonAsync($"/v1.1/serviceaccounts/{saId}/keys", new { name = "k" }, HttpStatusCode.OK))["key"]!;
        Assert.StartsWith("svc_", (string?)key["_id"]);
        Assert.Equal("k", (string?)key["name"]);
        Assert.False(string.IsNullOrEmpty((string?)key["secret"]));

        var list = await client.GetJsonAsync("/v1.1/serviceaccounts");
        Assert.Equal(saId, (string?)list["serviceAccounts"]![0]!["_id"]);
        Assert.False((bool)list["hasMore"]!);
        Assert.Single((await client.GetJsonAsync($"/v1.1/serviceaccounts/{saId}/keys"))["keys"]!.AsArray());
        Assert.False(string.IsNullOrEmpty((string?)(await client.GetJsonAsync($"/v1.1/serviceaccounts/{saId}/keys/{(string)key["_id"]!}/jwt"))["jwt"]));

        var renamed = await client.PutJsonAsync($"/v1.1/serviceaccounts/{saId}", new { name = "Renamed" });
        Assert.Equal("Renamed", (string?)renamed["serviceAccount"]!["name"]);
    }

    [Fact]
    public async Task Errors_UseTheV1EnvelopeAndSayName()
    {
        var tenant = await service.NewTenantAsync();
        var client = tenant.Client();
        await client.PostJsonAsync("/v1.1/serviceaccounts", new { name = "Dup" }, HttpStatusCode.Created);

        Http.AssertV1Error(await client.PostJsonAsync("/v1.1/serviceaccounts", new { name = "DUP" }, HttpStatusCode.Conflict), "conflict");
        var blank = await client.PostJsonAsync("/v1.1/serviceaccounts", new { name = " " }, HttpStatusCode.BadRequest);
        Http.AssertV1Error(blank, "bad_request");
        Assert.Contains("name", (string?)blank["error"]!["description"]);
        Assert.DoesNotContain("displayName", (string?)blank["error"]!["description"]);
        Assert.Equal("name must not be blank.", (string?)(await client.PostJsonAsync("/v1.1/apps", new { name = "" }, HttpStatusCode.BadRequest))["error"]!["description"]);

        // Only the rule's field is renamed (a probe): a field the client sent, and its data quoted back, stay as sent. It
        // was told "name is not a field of this request." for displayName in a v1.1 key body, and of a conflict with a
        // service account named 'name' when it had named it 'displayName'.
        var app = (string)(await client.PostJsonAsync("/v1.1/apps", new { name = "A" }, HttpStatusCode.Created))["app"]!["_id"]!;
        Assert.Equal("displayName is not a field of this request.",
            (string?)(await client.PostJsonAsync($"/v1.1/apps/{app}/keys", new { displayName = "k1" }, HttpStatusCode.BadRequest))["error"]!["description"]);
        await client.PostJsonAsync("/v1.1/serviceaccounts", new { name = "displayName" }, HttpStatusCode.Created);
        Assert.Contains("'displayName'", (string?)(await client.PostJsonAsync("/v1.1/serviceaccounts", new { name = "displayName" }, HttpStatusCode.Conflict))["error"]!["description"]);

        // A field a v1.1 service account's body does not have is refused, as in v2 (errors.md; it was let through).
        Assert.Equal("foo is not a field of this request.",
            (string?)(await client.PostJsonAsync("/v1.1/serviceaccounts", new { name = "k", foo = 2 }, HttpStatusCode.BadRequest))["error"]!["description"]);
        var account = (string)(await client.GetJsonAsync("/v1.1/serviceaccounts"))["serviceAccounts"]![0]!["_id"]!;
        Http.AssertV1Error(await client.PutJsonAsync($"/v1.1/serviceaccounts/{account}", new { nmae = "typo" }, HttpStatusCode.BadRequest), "bad_request");
        Http.AssertV1Error(await client.PostJsonAsync("/v1.1/apps", Http.Json("{\"name\":"), HttpStatusCode.BadRequest), "bad_request");
        Http.AssertV1Error(await service.WithBasic(tenant.KeyId, "wrong").GetJsonAsync("/v1.1/apps", HttpStatusCode.Unauthorized), "unauthorized");
        Http.AssertV1Error(await client.GetJsonAsync($"/v1.1/serviceaccounts/{IdGenerator.NewId()}", HttpStatusCode.NotFound), "not_found");
        var webhooks = await client.GetJsonAsync("/v1.1/webhooks", HttpStatusCode.NotFound);
        Http.AssertV1Error(webhooks, "not_found");
        Assert.Contains("the messaging routes", (string?)webhooks["error"]!["description"]);
        Assert.Equal(2, await service.QueryDbAsync(db => db.ServiceAccounts.CountAsync(s => s.TenantId == new TenantId(tenant.TenantId))));
    }

    [Fact]
    public async Task BodilessGetAndDelete_WithJsonContentType_AreAccepted()
    {
        var client = (await service.NewTenantAsync()).Client();
        var id = (string)(await client.PostJsonAsync("/v1.1/apps", new { name = "CT" }, HttpStatusCode.Created))["app"]!["_id"]!;

        foreach (var method in new[] { HttpMethod.Get, HttpMethod.Delete })
        {
            using var request = new HttpRequestMessage(method, $"/v1.1/apps/{id}") { Content = new ByteArrayContent([]) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }
}
