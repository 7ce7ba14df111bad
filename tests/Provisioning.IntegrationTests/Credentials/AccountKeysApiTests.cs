using System.Net;
using Microsoft.EntityFrameworkCore;
using Provisioning.Domain.Credentials;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Credentials;

[Collection(ServiceTestCollection.Name)]
public sealed class AccountKeysApiTests(ServiceFixture service)
{
    [Fact]
    public async Task AccountKeys_ShowTheSecretOnlyWhenCreated_AndWorkAtOnce()
    {
        var tenant = await service.NewTenantAsync();
        var client = tenant.Client();

        var created = (await client.PostJsonAsync("/v2/keys", new { displayName = "CI" }, HttpStatusCode.Created))["key"]!;
        var id = (string)created["id"]!;
        var secret = (string)created["secret"]!;
        Assert.StartsWith("act_", id);

        var listed = (await client.GetJsonAsync("/v2/keys"))["keys"]!.AsArray();
        Assert.Equal([tenant.KeyId, id], listed.Select(k => (string)k!["id"]!));
        Assert.All(listed, k => Assert.False(k!.AsObject().ContainsKey("secret")));
        var one = (await client.GetJsonAsync($"/v2/keys/{id}"))["key"]!;
        Assert.False(one.AsObject().ContainsKey("secret"));
        Assert.Equal("CI", (string?)one["displayName"]);

        await service.WithBasic(id, secret).GetJsonAsync("/v2/apps");
    }

    [Fact]
    public async Task AccountKeys_AreListedInPages_LikeEveryV2List()
    {
        // API.md §4: paging on all v2 lists; account keys have no cap, so an unpaged list had no bound (a probe: page[size]
        // was checked, then ignored).
        var tenant = await service.NewTenantAsync();
        var client = tenant.Client();
        var ids = new List<string> { tenant.KeyId };
        for (var i = 0; i < 4; i++)
        {
            ids.Add((string)(await client.PostJsonAsync("/v2/keys", new { displayName = $"key {i}" }, HttpStatusCode.Created))["key"]!["id"]!);
        }

        var seen = new List<string>();
        var url = "/v2/keys?page[size]=2";
        while (url is not null)
        {
            var page = await client.GetJsonAsync(url);
            var keys = page["keys"]!.AsArray();
            Assert.InRange(keys.Count, 1, 2);
            seen.AddRange(keys.Select(k => (string)k!["id"]!));
            url = (string?)page["links"]!["next"];
        }

        Assert.Equal(ids, seen);
        Assert.Equal(3, (await client.GetJsonAsync($"/v2/keys?page[after]={ids[1]}"))["keys"]!.AsArray().Count);
        Assert.Contains("page[after]", Http.Titles(await client.GetJsonAsync("/v2/keys?page[after]=svc_0123456789abcdef01234567", HttpStatusCode.BadRequest)));
    }

    [Fact]
    public async Task DeleteAccountKey_LocksItOut_AndTheLastOneCannotBeDeleted()
    {
        var tenant = await service.NewTenantAsync();
        var client = tenant.Client();
        var second = (await client.PostJsonAsync("/v2/keys", new { displayName = "second" }, HttpStatusCode.Created))["key"]!;
        var secondClient = service.WithBasic((string)second["id"]!, (string)second["secret"]!);

        // The original key deletes itself; the second one remains and is then the last.
        await client.DeleteJsonAsync($"/v2/keys/{tenant.KeyId}");
        Http.AssertV2Error(await client.GetJsonAsync("/v2/apps", HttpStatusCode.Unauthorized), "unauthorized");
        Http.AssertV2Error(await secondClient.DeleteJsonAsync($"/v2/keys/{(string)second["id"]!}", HttpStatusCode.Conflict), "conflict");
        Assert.True(await service.QueryDbAsync(db => db.ApiKeys.AnyAsync(k => k.Id == new KeyId((string)second["id"]!))));
    }

    [Fact]
    public async Task AccountKeys_OfAnotherTenant_Are404()
    {
        var mine = await service.NewTenantAsync();
        var theirs = await service.NewTenantAsync();
        Http.AssertV2Error(await mine.Client().GetJsonAsync($"/v2/keys/{theirs.KeyId}", HttpStatusCode.NotFound), "not_found");
        Http.AssertV2Error(await mine.Client().DeleteJsonAsync($"/v2/keys/{theirs.KeyId}", HttpStatusCode.NotFound), "not_found");
        Http.AssertV2Error(await mine.Client().GetJsonAsync("/v2/keys/not-a-key", HttpStatusCode.NotFound), "not_found");
        await theirs.Client().GetJsonAsync("/v2/apps");
    }

    [Fact]
    public async Task CreateAccountKey_WithBlankName_Returns400() =>
        Assert.Contains("displayName", Http.Titles(
            await (await service.NewTenantAsync()).Client().PostJsonAsync("/v2/keys", new { displayName = " " }, HttpStatusCode.BadRequest)));
}
