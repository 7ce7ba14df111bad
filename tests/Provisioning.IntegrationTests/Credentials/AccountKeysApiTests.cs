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
