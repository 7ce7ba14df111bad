using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Provisioning.Domain.Common;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Apps;

[Collection(ServiceTestCollection.Name)]
public sealed class AppsApiTests(ServiceFixture service)
{
    [Fact]
    public async Task CreateApp_WithAllFields_Returns201WithDefaultsFilledAndStoresIt()
    {
        var tenant = await service.NewTenantAsync();
        var body = await tenant.Client().PostJsonAsync("/v2/apps", new
        {
            displayName = "  Acme support  ",
            settings = new { multiConvoEnabled = true, conversationRetentionSeconds = 3600 },
            metadata = new { plan = "gold", seats = 12, beta = true },
        }, HttpStatusCode.Created);

        var app = body["app"]!;
        var id = (string)app["id"]!;
        Assert.True(IdGenerator.IsValid(id));
        Assert.Equal("Acme support", (string?)app["displayName"]);
        Assert.Equal(3600, (int)app["settings"]!["conversationRetentionSeconds"]!);
        Assert.True((bool)app["settings"]!["multiConvoEnabled"]!);
        Assert.True((bool)app["settings"]!["maskCreditCardNumbers"]!);
        Assert.False((bool)app["settings"]!["useAnimalNames"]!);
        Assert.False((bool)app["settings"]!["echoPostback"]!);
        Assert.False((bool)app["settings"]!["ignoreAutoConversationStart"]!);
        Assert.True((bool)app["settings"]!["appLocalizationEnabled"]!);
        Assert.Equal("gold", (string?)app["metadata"]!["plan"]);
        Assert.Equal(12, (int)app["metadata"]!["seats"]!);

        var stored = await service.QueryDbAsync(db => db.Apps.AsNoTracking().SingleAsync(a => a.Id == new AppId(id)));
        Assert.Equal(tenant.TenantId, stored.TenantId.Value);
        Assert.Equal("Acme support", stored.DisplayName);
        Assert.True(stored.Settings.MultiConvoEnabled);
    }

    [Fact]
    public async Task CreateApp_WithOnlyDisplayName_HasDefaultSettingsAndNullMetadata()
    {
        var tenant = await service.NewTenantAsync();
        var app = (await tenant.Client().PostJsonAsync("/v2/apps", new { displayName = "Plain" }, HttpStatusCode.Created))["app"]!;
        Assert.Equal(0, (int)app["settings"]!["conversationRetentionSeconds"]!);
        Assert.Null(app["metadata"]);
    }

    public static TheoryData<string, string> BadCreateBodies => new()
    {
        { """{}""", "displayName" },
        { """{"displayName":""}""", "displayName" },
        { """{"displayName":"   "}""", "displayName" },
        { """{"displayName":"\u200b"}""", "displayName must not be blank" },
        { """{"displayName":"Invoice\u202Egpj.exe"}""", "displayName must not contain control characters" },
        // At an end they were trimmed away ("a\t" made "a"; a probe): refused, as inside a name.
        { """{"displayName":"a\t"}""", "displayName must not contain control characters" },
        { """{"displayName":"\r\na"}""", "displayName must not contain control characters" },
        { """{"displayName":"\u2800"}""", "displayName must not be blank" },
        { $$"""{"displayName":"{{new string('x', 101)}}"}""", "displayName" },
        { """{"displayName":123}""", "displayName" },
        { """{"displayName":"ok","settings":{"conversationRetentionSeconds":-1}}""", "conversationRetentionSeconds" },
        { """{"displayName":"ok","settings":{"maskCreditCardNumbers":"yes"}}""", "settings.maskCreditCardNumbers" },
        { """{"displayName":"ok","settings":{"conversationRetentionSeconds":"60"}}""", "settings.conversationRetentionSeconds" },
        { """{"displayName":"ok","settings":"loud"}""", "settings" },
        { """{"displayName":"ok","metadata":{"nested":{"a":1}}}""", "metadata" },
        { """{"displayName":"ok","metadata":{"list":[1,2]}}""", "metadata" },
        { """{"displayName":"ok","metadata":"text"}""", "metadata" },
        // A number no client can hold (JavaScript reads 1e400 as Infinity, which becomes null when sent back).
        { """{"displayName":"ok","metadata":{"n":1e400}}""", "metadata.n" },
        { """{"displayName":"ok","metadata":{"n":-1e309}}""", "metadata.n" },
        // Nor one it reads as 0 (1e-400 was kept as sent, another number than the one a client reads).
        { """{"displayName":"ok","metadata":{"n":1e-400}}""", "metadata.n must be a number within the range of a double" },
        { $$$"""{"displayName":"ok","metadata":{"big":"{{{new string('x', 4100)}}}"}}""", "metadata" },
        { """{"displayName":"ok",""", "JSON" },
        // A field's name quoted with its right-to-left override and line break written as escapes (as sent, the override
        // reversed the rest of the sentence where a person read it).
        { """{"displayName":"ok","\u202edisplay":1}""", "\\u202Edisplay is not a field of this request." },
        { """[1,2,3]""", "" },
    };

    [Fact]
    public async Task ADisplayNameOf100Emoji_Is100Characters_AndStoredAsSent()
    {
        var tenant = await service.NewTenantAsync();
        var name = string.Concat(Enumerable.Repeat("\U0001F600", 100));
        var created = await tenant.Client().PostJsonAsync("/v2/apps", new { displayName = name }, HttpStatusCode.Created);
        Assert.Equal(name, (string?)created["app"]!["displayName"]);
        var id = new AppId((string)created["app"]!["id"]!);
        Assert.Equal(name, await service.QueryDbAsync(db => db.Apps.Where(a => a.Id == id).Select(a => a.DisplayName).SingleAsync()));
        await tenant.Client().PostJsonAsync("/v2/apps", new { displayName = name + "\U0001F600" }, HttpStatusCode.BadRequest);
    }

    [Theory]
    [MemberData(nameof(BadCreateBodies))]
    public async Task CreateApp_WithBadInput_Returns400NamingTheFieldAndCreatesNothing(string json, string field)
    {
        var tenant = await service.NewTenantAsync();
        var body = await tenant.Client().PostJsonAsync("/v2/apps", Http.Json(json), HttpStatusCode.BadRequest);

        Http.AssertV2Error(body, "bad_request");
        Assert.Contains(field, Http.Titles(body));
        Assert.Equal(0, await service.QueryDbAsync(db => db.Apps.CountAsync(a => a.TenantId == new TenantId(tenant.TenantId))));
    }

    [Theory]
    [InlineData("""{"displayName":"ok","display name":1}""", "['display name'] is not a field of this request.")]
    [InlineData("""{"displayName":"ok","settings.x":1}""", "['settings.x'] is not a field of this request.")]
    [InlineData("""{"displayName":"ok","display\u2028":1}""", "['display\\u2028'] is not a field of this request.")]
    public async Task AnUnknownFieldWhoseNameThePathBrackets_IsNamedAlone(string json, string title)
    {
        // It said "The request body must be a JSON object." first, and "$['display name'] …" (a probe).
        var tenant = await service.NewTenantAsync();
        Assert.Equal(title, Http.Titles(await tenant.Client().PostJsonAsync("/v2/apps", Http.Json(json), HttpStatusCode.BadRequest)));
    }

    [Fact]
    public async Task CreateApp_WithEmptyBody_Returns400()
    {
        var tenant = await service.NewTenantAsync();
        var body = await tenant.Client().PostJsonAsync("/v2/apps", Http.Json(""), HttpStatusCode.BadRequest);
        Http.AssertV2Error(body, "bad_request");
    }

    [Fact]
    public async Task CreateApp_WithNonJsonBody_Returns415()
    {
        var tenant = await service.NewTenantAsync();
        var body = await tenant.Client().PostJsonAsync("/v2/apps", new StringContent("displayName=x", System.Text.Encoding.UTF8, "application/x-www-form-urlencoded"), HttpStatusCode.UnsupportedMediaType);
        Http.AssertV2Error(body, "unsupported_media_type");
    }

    [Fact]
    public async Task CreateApp_WithBodyOver100KB_Returns413AndCreatesNothing()
    {
        var tenant = await service.NewTenantAsync();
        var json = $$$"""{"displayName":"big","metadata":{"x":"{{{new string('x', 101 * 1024)}}}"}}""";
        var body = await tenant.Client().PostJsonAsync("/v2/apps", Http.Json(json), HttpStatusCode.RequestEntityTooLarge);
        Http.AssertV2Error(body, "request_entity_too_large");
        Assert.Equal(0, await service.QueryDbAsync(db => db.Apps.CountAsync(a => a.TenantId == new TenantId(tenant.TenantId))));
    }

    [Fact]
    public async Task GetApp_ReturnsTheApp_AndUnknownOrMalformedIdsAre404AppNotFound()
    {
        var tenant = await service.NewTenantAsync();
        var client = tenant.Client();
        var id = await CreateAsync(client, "Readable");

        var app = (await client.GetJsonAsync($"/v2/apps/{id}"))["app"]!;
        Assert.Equal("Readable", (string?)app["displayName"]);

        foreach (var missing in new[] { IdGenerator.NewId(), "not-an-id", "0000", "%27%20OR%201%3D1" })
        {
            Http.AssertV2Error(await client.GetJsonAsync($"/v2/apps/{missing}", HttpStatusCode.NotFound), "app_not_found");
        }
    }

    [Fact]
    public async Task Apps_OfAnotherTenant_AreInvisible()
    {
        var owner = await service.NewTenantAsync();
        var stranger = await service.NewTenantAsync();
        var id = await CreateAsync(owner.Client(), "Private");

        var client = stranger.Client();
        Http.AssertV2Error(await client.GetJsonAsync($"/v2/apps/{id}", HttpStatusCode.NotFound), "app_not_found");
        Http.AssertV2Error(await client.PatchJsonAsync($"/v2/apps/{id}", new { displayName = "Mine" }, HttpStatusCode.NotFound), "app_not_found");
        Http.AssertV2Error(await client.DeleteJsonAsync($"/v2/apps/{id}", HttpStatusCode.NotFound), "app_not_found");
        var list = await client.GetJsonAsync("/v2/apps");
        Assert.Empty(list["apps"]!.AsArray());

        var stored = await service.QueryDbAsync(db => db.Apps.AsNoTracking().SingleAsync(a => a.Id == new AppId(id)));
        Assert.Equal("Private", stored.DisplayName);
    }

    [Fact]
    public async Task UpdateApp_MergesSettingsByFieldAndMetadataByKey()
    {
        var tenant = await service.NewTenantAsync();
        var client = tenant.Client();
        var id = (string)(await client.PostJsonAsync("/v2/apps", new
        {
            displayName = "Before",
            settings = new { useAnimalNames = true },
            metadata = new { keep = "k", drop = "d", change = 1 },
        }, HttpStatusCode.Created))["app"]!["id"]!;

        var app = (await client.PatchJsonAsync($"/v2/apps/{id}", Http.Json("""
            {"displayName":"After","settings":{"echoPostback":true},"metadata":{"drop":null,"change":2,"added":false}}
            """)))["app"]!;

        Assert.Equal("After", (string?)app["displayName"]);
        Assert.True((bool)app["settings"]!["useAnimalNames"]!);
        Assert.True((bool)app["settings"]!["echoPostback"]!);
        var metadata = app["metadata"]!.AsObject();
        Assert.Equal("k", (string?)metadata["keep"]);
        Assert.False(metadata.ContainsKey("drop"));
        Assert.Equal(2, (int)metadata["change"]!);
        Assert.False((bool)metadata["added"]!);

        // Leaving a field out leaves it alone.
        app = (await client.PatchJsonAsync($"/v2/apps/{id}", new { }))["app"]!;
        Assert.Equal("After", (string?)app["displayName"]);
        Assert.Equal("k", (string?)app["metadata"]!["keep"]);

        // "metadata": null clears it.
        app = (await client.PatchJsonAsync($"/v2/apps/{id}", Http.Json("""{"metadata":null}""")))["app"]!;
        Assert.Null(app["metadata"]);
        var stored = await service.QueryDbAsync(db => db.Apps.AsNoTracking().SingleAsync(a => a.Id == new AppId(id)));
        Assert.Null(stored.Metadata);
        Assert.Equal("After", stored.DisplayName);
    }

    [Fact]
    public async Task UpdateApp_CannotTurnMultiConvoOff_AndChangesNothing()
    {
        var tenant = await service.NewTenantAsync();
        var client = tenant.Client();
        var id = (string)(await client.PostJsonAsync("/v2/apps", new { displayName = "Multi", settings = new { multiConvoEnabled = true } },
            HttpStatusCode.Created))["app"]!["id"]!;

        var body = await client.PatchJsonAsync($"/v2/apps/{id}", new { displayName = "Renamed", settings = new { multiConvoEnabled = false } },
            HttpStatusCode.BadRequest);
        Http.AssertV2Error(body, "bad_request");
        Assert.Contains("multiConvoEnabled", Http.Titles(body));

        var stored = await service.QueryDbAsync(db => db.Apps.AsNoTracking().SingleAsync(a => a.Id == new AppId(id)));
        Assert.True(stored.Settings.MultiConvoEnabled);
        Assert.Equal("Multi", stored.DisplayName);

        // Turning it on again (or leaving it on) is fine.
        await client.PatchJsonAsync($"/v2/apps/{id}", new { settings = new { multiConvoEnabled = true } });
    }

    [Theory]
    [InlineData("""{"displayName":""}""", "displayName")]
    [InlineData("""{"displayName":false}""", "displayName")]
    [InlineData("""{"settings":{"conversationRetentionSeconds":-5}}""", "conversationRetentionSeconds")]
    [InlineData("""{"settings":{"useAnimalNames":"no"}}""", "settings.useAnimalNames")]
    [InlineData("""{"metadata":{"deep":{"x":1}}}""", "metadata")]
    [InlineData("""{"metadata":[1]}""", "metadata")]
    public async Task UpdateApp_WithBadInput_Returns400AndChangesNothing(string json, string field)
    {
        var tenant = await service.NewTenantAsync();
        var client = tenant.Client();
        var id = await CreateAsync(client, "Stable");

        var body = await client.PatchJsonAsync($"/v2/apps/{id}", Http.Json(json), HttpStatusCode.BadRequest);
        Http.AssertV2Error(body, "bad_request");
        Assert.Contains(field, Http.Titles(body));
        var stored = await service.QueryDbAsync(db => db.Apps.AsNoTracking().SingleAsync(a => a.Id == new AppId(id)));
        Assert.Equal("Stable", stored.DisplayName);
        Assert.Null(stored.Metadata);
    }

    [Fact]
    public async Task DeleteApp_Returns200EmptyObject_AndRemovesIt()
    {
        var tenant = await service.NewTenantAsync();
        var client = tenant.Client();
        var id = await CreateAsync(client, "Doomed");

        var body = await client.DeleteJsonAsync($"/v2/apps/{id}");
        Assert.Empty(body.AsObject());
        Assert.False(await service.QueryDbAsync(db => db.Apps.AnyAsync(a => a.Id == new AppId(id))));
        Http.AssertV2Error(await client.GetJsonAsync($"/v2/apps/{id}", HttpStatusCode.NotFound), "app_not_found");
        Http.AssertV2Error(await client.DeleteJsonAsync($"/v2/apps/{id}", HttpStatusCode.NotFound), "app_not_found");
    }

    internal static async Task<string> CreateAsync(HttpClient client, string displayName) =>
        (string)(await client.PostJsonAsync("/v2/apps", new { displayName }, HttpStatusCode.Created))["app"]!["id"]!;
}
