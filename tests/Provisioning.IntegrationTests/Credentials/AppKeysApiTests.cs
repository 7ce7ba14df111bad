using System.Net;
using Microsoft.EntityFrameworkCore;
using Provisioning.Domain.Common;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Credentials;

[Collection(ServiceTestCollection.Name)]
public sealed class AppKeysApiTests(ServiceFixture service)
{
    [Fact]
    public async Task AppKeys_CreateListGetDelete_WithSecretsShown()
    {
        var client = (await service.NewTenantAsync()).Client();
        var app = await client.CreateAppAsync();

        var created = (await client.PostJsonAsync($"/v2/apps/{app}/keys", new { displayName = "Widget" }, HttpStatusCode.Created))["key"]!;
        var id = (string)created["id"]!;
        Assert.StartsWith("app_", id);
        Assert.Equal("Widget", (string?)created["displayName"]);
        var secret = (string)created["secret"]!;
        Assert.True(secret.Length >= 32);

        Assert.Equal(secret, (string?)(await client.GetJsonAsync($"/v2/apps/{app}/keys"))["keys"]![0]!["secret"]);
        Assert.Equal(secret, (string?)(await client.GetJsonAsync($"/v2/apps/{app}/keys/{id}"))["key"]!["secret"]);

        Assert.Empty((await client.DeleteJsonAsync($"/v2/apps/{app}/keys/{id}")).AsObject());
        Http.AssertV2Error(await client.GetJsonAsync($"/v2/apps/{app}/keys/{id}", HttpStatusCode.NotFound), "not_found");
        Assert.Empty((await client.GetJsonAsync($"/v2/apps/{app}/keys"))["keys"]!.AsArray());
    }

    [Fact]
    public async Task AppKeys_AreLimitedToTenPerApp_EvenUnderConcurrency()
    {
        var tenant = await service.NewTenantAsync();
        var app = await tenant.Client().CreateAppAsync();

        var statuses = await Task.WhenAll(Enumerable.Range(0, 14).Select(async i =>
        {
            using var response = await tenant.Client().PostAsync($"/v2/apps/{app}/keys", Http.Json(new { displayName = $"k{i}" }));
            return response.StatusCode;
        }));

        Assert.Equal(10, statuses.Count(s => s == HttpStatusCode.Created));
        Assert.Equal(4, statuses.Count(s => s == HttpStatusCode.BadRequest));
        Assert.Equal(10, await service.QueryDbAsync(db => db.ApiKeys.CountAsync(k => k.AppId == new AppId(app))));
    }

    [Theory]
    [InlineData("""{}""")]
    [InlineData("""{"displayName":""}""")]
    [InlineData("""{"displayName":false}""")]
    public async Task CreateAppKey_WithBadInput_Returns400NamingDisplayName(string json)
    {
        var client = (await service.NewTenantAsync()).Client();
        var app = await client.CreateAppAsync();
        var body = await client.PostJsonAsync($"/v2/apps/{app}/keys", Http.Json(json), HttpStatusCode.BadRequest);
        Assert.Contains("displayName", Http.Titles(body));
    }

    [Fact]
    public async Task AppKeyRoutes_ForAnUnknownOrForeignApp_Are404AppNotFound()
    {
        var client = (await service.NewTenantAsync()).Client();
        var foreign = await (await service.NewTenantAsync()).Client().CreateAppAsync();
        foreach (var app in new[] { foreign, IdGenerator.NewId(), "x" })
        {
            Http.AssertV2Error(await client.GetJsonAsync($"/v2/apps/{app}/keys", HttpStatusCode.NotFound), "app_not_found");
            Http.AssertV2Error(await client.PostJsonAsync($"/v2/apps/{app}/keys", new { displayName = "k" }, HttpStatusCode.NotFound), "app_not_found");
        }
    }

    [Fact]
    public async Task AppKey_ReachesOnlyGetAndPatchOfItsOwnApp()
    {
        var account = (await service.NewTenantAsync()).Client();
        var app = await account.CreateAppAsync("Mine");
        var sibling = await account.CreateAppAsync("Sibling");
        var key = await account.CreateAppKeyAsync(app);

        foreach (var client in new[] { service.Basic(key), service.WithBearer(Jwt.ForKey(key.Id, key.Secret, scope: "app")) })
        {
            Assert.Equal("Mine", (string?)(await client.GetJsonAsync($"/v2/apps/{app}"))["app"]!["displayName"]);
            await client.PatchJsonAsync($"/v2/apps/{app}", new { metadata = new { touched = true } });

            Http.AssertV2Error(await client.GetJsonAsync($"/v2/apps/{sibling}", HttpStatusCode.NotFound), "app_not_found");
            Http.AssertV2Error(await client.GetJsonAsync("/v2/apps", HttpStatusCode.Forbidden), "forbidden");
            Http.AssertV2Error(await client.PostJsonAsync("/v2/apps", new { displayName = "x" }, HttpStatusCode.Forbidden), "forbidden");
            Http.AssertV2Error(await client.DeleteJsonAsync($"/v2/apps/{app}", HttpStatusCode.Forbidden), "forbidden");
            Http.AssertV2Error(await client.GetJsonAsync($"/v2/apps/{app}/keys", HttpStatusCode.Forbidden), "forbidden");
        }

        // An app key's JWT must say scope "app".
        Http.AssertV2Error(await service.WithBearer(Jwt.ForKey(key.Id, key.Secret, scope: "account")).GetJsonAsync($"/v2/apps/{app}", HttpStatusCode.Unauthorized), "unauthorized");
        Assert.True(await service.QueryDbAsync(db => db.Apps.AnyAsync(a => a.Id == new AppId(app))));
    }

    [Fact]
    public async Task ServiceAccount_ManagesKeysOnlyOfAppsItCanAccess()
    {
        var account = (await service.NewTenantAsync()).Client();
        var sa = await account.CreateServiceAccountAsync();
        var svc = service.Basic(sa.Key);
        var own = await svc.CreateAppAsync();
        var other = await account.CreateAppAsync();

        await svc.CreateAppKeyAsync(own);
        Http.AssertV2Error(await svc.PostJsonAsync($"/v2/apps/{other}/keys", new { displayName = "k" }, HttpStatusCode.NotFound), "app_not_found");
        Assert.Equal(0, await service.QueryDbAsync(db => db.ApiKeys.CountAsync(k => k.AppId == new AppId(other))));
    }
}
