using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Provisioning.IntegrationTests.Fixtures;
using Provisioning.WebApi.Controllers.V1;

namespace Provisioning.IntegrationTests.FrontDoor;

/// <summary>What the official clients and a DailyStory-style integration expect (API.md §2, §4, §7).</summary>
[Collection(ServiceTestCollection.Name)]
public sealed class ClientGapsTests(ServiceFixture service)
{
    [Fact]
    public async Task V11Apps_CarryAStableUniqueAppToken_ThatGrantsNoAccess()
    {
        var tenant = await service.NewTenantAsync();
        using var client = tenant.Client();
        var first = (await client.PostJsonAsync("/v1.1/apps", new { name = "first" }, HttpStatusCode.Created))["app"]!;
        var second = (await client.PostJsonAsync("/v1.1/apps", new { name = "second" }, HttpStatusCode.Created))["app"]!;
        var token = (string)first["appToken"]!;
        Assert.Matches("^[0-9a-z]{25}$", token);
        Assert.NotEqual(token, (string?)second["appToken"]);

        var id = (string)first["_id"]!;
        await client.PutJsonAsync($"/v1.1/apps/{id}", new { name = "renamed" });
        Assert.Equal(token, (string?)(await client.GetJsonAsync($"/v1.1/apps/{id}"))["app"]!["appToken"]);
        var listed = (await client.GetJsonAsync("/v1.1/apps"))["apps"]!.AsArray();
        Assert.Equal(token, (string?)listed.Single(a => (string?)a!["_id"] == id)!["appToken"]);
        Assert.Equal(token, await service.QueryDbAsync(db => db.Apps.Where(a => a.Id == new Domain.Common.AppId(id)).Select(a => a.AppToken).SingleAsync()));

        // Sunshine's v2 App has no appToken; and the token is no credential.
        Assert.Null((await client.GetJsonAsync($"/v2/apps/{id}"))["app"]!["appToken"]);
        using var withToken = service.WithBearer(token);
        Assert.Equal(HttpStatusCode.Unauthorized, (await withToken.GetAsync($"/v2/apps/{id}")).StatusCode);
        using var withBasicToken = service.WithBasic("api", token);
        Assert.Equal(HttpStatusCode.Unauthorized, (await withBasicToken.GetAsync($"/v2/apps/{id}")).StatusCode);
    }

    [Fact]
    public async Task EndSessionAndDisableConversationReopen_AreStoredAndReturned_OnlyWithMultiConvo()
    {
        var tenant = await service.NewTenantAsync();
        using var client = tenant.Client();
        var app = (await client.PostJsonAsync("/v2/apps", new { displayName = "sessions" }, HttpStatusCode.Created))["app"]!;
        Assert.False((bool)app["settings"]!["endSessionEnabled"]!);
        Assert.False((bool)app["settings"]!["disableConversationReopen"]!);
        var id = (string)app["id"]!;

        var refused = await client.PatchJsonAsync($"/v2/apps/{id}", new { settings = new { endSessionEnabled = true } }, HttpStatusCode.BadRequest);
        Assert.Contains("settings.endSessionEnabled", Http.Titles(refused));
        refused = await client.PatchJsonAsync($"/v2/apps/{id}", new { settings = new { disableConversationReopen = true } }, HttpStatusCode.BadRequest);
        Assert.Contains("settings.disableConversationReopen", Http.Titles(refused));

        await client.PatchJsonAsync($"/v2/apps/{id}",
            new { settings = new { multiConvoEnabled = true, endSessionEnabled = true, disableConversationReopen = true } });
        var settings = (await client.GetJsonAsync($"/v2/apps/{id}"))["app"]!["settings"]!;
        Assert.True((bool)settings["endSessionEnabled"]!);
        Assert.True((bool)settings["disableConversationReopen"]!);
        var stored = await service.QueryDbAsync(db => db.Apps.SingleAsync(a => a.Id == new Domain.Common.AppId(id)));
        Assert.True(stored.Settings.EndSessionEnabled);
        Assert.True(stored.Settings.DisableConversationReopen);

        var v1 = (await client.GetJsonAsync($"/v1.1/apps/{id}"))["app"]!["settings"]!;
        Assert.True((bool)v1["endSessionEnabled"]!);
    }

    [Theory]
    [InlineData("api")]
    [InlineData("anything")]
    [InlineData("")]
    [InlineData("{token's own key id}")] // any user name (API.md §2): one shaped like a key id was read as keyId:secret (401)
    [InlineData("svc_0123456789abcdef01234567")]
    public async Task DailyStoryTokens_WorkAsBasicPasswordWithAnyUserName(string user)
    {
        using var root = service.Root();
        var child = await root.ProvisionAsync(name: "Basic " + user);
        user = user.Replace("{token's own key id}", child.Token.Split('.')[0]);
        using var client = service.WithBasic(user, child.Token);
        var self = await client.GetJsonAsync("/v2/tenants/self");
        Assert.Equal(child.Id, (string?)self["tenant"]!["id"]);

        using var wrong = service.WithBasic(user, child.Token + "x");
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync("/v2/tenants/self")).StatusCode);
    }

    [Fact]
    public async Task V11Sdks_Is404SayingTheyAreOutsideTheService()
    {
        var tenant = await service.NewTenantAsync();
        using var client = tenant.Client();
        var id = (string)(await client.PostJsonAsync("/v1.1/apps", new { name = "sdk" }, HttpStatusCode.Created))["app"]!["_id"]!;
        var body = await client.GetJsonAsync($"/v1.1/apps/{id}/sdks", HttpStatusCode.NotFound);
        Http.AssertV1Error(body, "not_found");
        Assert.Equal(V1AppsController.SdkIntegrationsOutsideTheService, (string?)body["error"]!["description"]);
        Assert.Equal(HttpStatusCode.Unauthorized, (await service.Anonymous().GetAsync($"/v1.1/apps/{id}/sdks")).StatusCode);
    }

    [Fact]
    public async Task Jwt_ScopeMustBeAString_RegisteredClaimsAsTyped_CritIsRefused_AndTheChallengeSaysNothingAboutWhy()
    {
        var tenant = await service.NewTenantAsync();
        using var account = tenant.Client();
        var sa = await account.CreateServiceAccountAsync();

        async Task<HttpResponseMessage> Send(string jwt)
        {
            using var client = service.WithBearer(jwt);
            return await client.GetAsync("/v2/apps");
        }

        Assert.Equal(HttpStatusCode.OK, (await Send(Jwt.ForKey(sa.Key.Id, sa.Key.Secret))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized,
            (await Send(Jwt.Sign(new { alg = "HS256", kid = sa.Key.Id }, new { scope = new[] { "account", "app" } }, sa.Key.Secret))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized,
            (await Send(Jwt.Sign(new { alg = "HS256", kid = sa.Key.Id }, new { scope = new[] { "account" } }, sa.Key.Secret))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized,
            (await Send(Jwt.Sign(new { alg = "HS256", kid = sa.Key.Id, crit = new[] { "exp" }, exp = 1 }, new { scope = "account" }, sa.Key.Secret))).StatusCode);

        // Registered claims the JWT library reads as RFC 7519 types them (docs/authentication.md): `iss`, `jti`, `azp`
        // strings, `aud` a string or strings. Their values are not checked; another type is 401 (a probe: jsonwebtoken in
        // Node accepts them), `sub` of any type is let through.
        Assert.Equal(HttpStatusCode.OK,
            (await Send(Jwt.Sign(new { alg = "HS256", kid = sa.Key.Id }, new { scope = "account", sub = "123", iss = "me", aud = new[] { "x" }, jti = "1" }, sa.Key.Secret))).StatusCode);
        Assert.Equal(HttpStatusCode.OK,
            (await Send(Jwt.Sign(new { alg = "HS256", kid = sa.Key.Id }, new { scope = "account", aud = (string?)null }, sa.Key.Secret))).StatusCode);
        Assert.Equal(HttpStatusCode.OK,
            (await Send(Jwt.Sign(new { alg = "HS256", kid = sa.Key.Id }, new { scope = "account", sub = 123 }, sa.Key.Secret))).StatusCode);
        foreach (var payload in new object[]
                 {
                     new { scope = "account", iss = 123 }, new { scope = "account", iss = (string?)null }, new { scope = "account", jti = new { } },
                     new { scope = "account", azp = 5 }, new { scope = "account", aud = new { x = 1 } }, new { scope = "account", aud = new object[] { "x", 1 } },
                 })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await Send(Jwt.Sign(new { alg = "HS256", kid = sa.Key.Id }, payload, sa.Key.Secret))).StatusCode);
        }

        using var unknownKid = await Send(Jwt.ForKey("svc_0123456789abcdef01234567", sa.Key.Secret));
        using var badSignature = await Send(Jwt.ForKey(sa.Key.Id, "not-the-secret-of-this-key-0123456789"));
        Assert.Equal(HttpStatusCode.Unauthorized, unknownKid.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, badSignature.StatusCode);
        Assert.Equal(unknownKid.Headers.WwwAuthenticate.ToString(), badSignature.Headers.WwwAuthenticate.ToString());
        Assert.Equal(await unknownKid.Content.ReadAsStringAsync(), await badSignature.Content.ReadAsStringAsync());
    }
}
