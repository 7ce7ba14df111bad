using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.FrontDoor;

/// <summary>Hostile text answered with a 400 that names the field, never a 500, and nothing written.</summary>
[Collection(ServiceTestCollection.Name)]
public sealed class BadInputTests(ServiceFixture service)
{
    public static TheoryData<string, string, string, string> ControlCharacterCases => new()
    {
        // route, JSON body (\u0000 etc. as JSON escapes), the field the error must name, envelope
        { "/v2/apps", """{"displayName":"bad\u0000name"}""", "displayName", "v2" },
        { "/v2/apps", """{"displayName":"tab\tname"}""", "displayName", "v2" },
        { "/v2/apps", """{"displayName":"line\nbreak"}""", "displayName", "v2" },
        { "/v2/apps", """{"displayName":"ok","metadata":{"k":"v\u0000"}}""", "metadata.k", "v2" },
        { "/v2/apps", """{"displayName":"ok","metadata":{"k\u0001":"v"}}""", "metadata", "v2" },
        { "/v2/serviceaccounts", """{"displayName":"sa\u0000"}""", "displayName", "v2" },
        { "/v2/keys", """{"displayName":"\u001b[31mred"}""", "displayName", "v2" },
        { "/v2/provisioningkeys", """{"displayName":"p\u0000"}""", "displayName", "v2" },
        { "/v1.1/apps", """{"name":"v1\u0000"}""", "name", "v1" },
        { "/v1.1/serviceaccounts", """{"name":"v1\u0007"}""", "name", "v1" },
        // Anywhere in the body, also in a field the route does not read (a probe: these were 201).
        { "/v2/apps", """{"displayName":"ok","zzz":"a\u0000"}""", "zzz", "v2" },
        { "/v2/apps", """{"displayName":"ok","settings":{"zzz":"a\u0001"}}""", "settings.zzz", "v2" },
        { "/v2/apps", """{"displayName":"ok","z\u0002z":1}""", "z\\u0002z", "v2" },
        { "/v2/serviceaccounts", """{"displayName":"ok","tags":["a","b\u0000"]}""", "tags[1]", "v2" },
        { "/v1.1/apps", """{"name":"ok","zzz":"\u0000"}""", "zzz", "v1" },
    };

    [Theory]
    [MemberData(nameof(ControlCharacterCases))]
    public async Task NulAndControlCharacters_Are400NamingTheField(string route, string body, string field, string envelope)
    {
        var tenant = await service.NewTenantAsync();
        using var client = tenant.Client();
        var json = await client.PostJsonAsync(route, body, HttpStatusCode.BadRequest);
        var text = envelope == "v1" ? (string)json["error"]!["description"]! : Http.Titles(json);
        Assert.Contains(field, text);
        Assert.Contains("control character", text);

        var tenantId = new Domain.Common.TenantId(tenant.TenantId);
        Assert.Equal(0, await service.QueryDbAsync(db => db.Apps.CountAsync(a => a.TenantId == tenantId)));
        Assert.Equal(0, await service.QueryDbAsync(db => db.ServiceAccounts.CountAsync(a => a.TenantId == tenantId)));
    }

    public static TheoryData<string, string, string, string, string> LoneSurrogateCases => new()
    {
        // method, route, body with an escape that is not Unicode text (an unpaired surrogate), the field, envelope
        { "POST", "/v2/apps", """{"displayName":"ok","metadata":{"k":"\ud800"}}""", "metadata", "v2" },
        { "POST", "/v2/apps", """{"displayName":"ok","metadata":{"k\udc00":"v"}}""", "metadata", "v2" },
        { "POST", "/v2/apps", """{"displayName":"bad\ud800"}""", "displayName", "v2" },
        { "POST", "/v1.1/apps", """{"name":"ok","metadata":{"k":"x\udfff"}}""", "metadata", "v1" },
        { "PATCH", "/v2/tenants/self", """{"logoUrl":"https://logo.example.com/\ud800.png"}""", "logoUrl", "v2" },
        { "POST", "/v2/apps", """{"displayName":"ok","zzz":"\ud800"}""", "zzz", "v2" },
        { "POST", "/v1.1/apps", """{"name":"ok","zzz":{"y":"\udc00"}}""", "zzz.y", "v1" },
        { "PATCH", "/v2/tenants/self", """{"zzz":"\ud800"}""", "zzz", "v2" },
        // A name that is not Unicode is named by its object, not blamed on the name before it (a probe: "displayName must…").
        { "POST", "/v2/apps", """{"displayName":"ok","\ud800":"x"}""", "body: a name", "v2" },
        { "POST", "/v2/apps", """{"displayName":"ok","metadata":{"a":"1","k\udc00":"v"}}""", "metadata: a name", "v2" },
    };

    [Theory]
    [InlineData(new byte[] { 0xff, 0xfe }, false)]
    [InlineData(new byte[] { 0xc3, 0x28 }, true)]
    public async Task BytesThatAreNotUtf8_Are400_InAFieldTheRouteDoesNotReadAndInAName(byte[] bad, bool inName)
    {
        var tenant = await service.NewTenantAsync();
        using var client = tenant.Client();
        var body = inName
            ? [.. "{\""u8, .. bad, .. "\":1,\"displayName\":\"ok\"}"u8]
            : (byte[])[.. "{\"displayName\":\"ok\",\"zzz\":\""u8, .. bad, .. "\"}"u8];
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var response = await client.PostAsync("/v2/apps", content);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        Assert.Contains("must be valid Unicode text (UTF-8", Http.Titles(JsonNode.Parse(text)!));
        var tenantId = new Domain.Common.TenantId(tenant.TenantId);
        Assert.Equal(0, await service.QueryDbAsync(db => db.Apps.CountAsync(a => a.TenantId == tenantId)));
    }

    [Fact]
    public async Task FieldsTheRouteDoesNotRead_MayHoldAnyText_TabsLineBreaksAndEmojiIncluded()
    {
        // (Provisioning lets fields it does not have through, for DailyStory-style clients; every other body refuses them.)
        var tenant = await service.NewTenantAsync();
        using var client = tenant.Client();
        var key = await client.CreateProvisioningKeyAsync();
        await client.PostJsonAsync("/v2/tenants", Http.Json($$$"""{"name":"ok","key":"{{{key}}}","note":"line one\r\nline\ttwo \ud83d\ude00","extra":{"é":["x",1,true,null]}}"""), HttpStatusCode.OK);
    }

    [Theory]
    [MemberData(nameof(LoneSurrogateCases))]
    public async Task ALoneSurrogateEscape_Is400NamingTheField_NotA500(string method, string route, string body, string field, string envelope)
    {
        var tenant = await service.NewTenantAsync();
        using var client = tenant.Client();
        using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), route) { Content = Http.Json(body) });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        var json = JsonNode.Parse(text)!;
        var title = envelope == "v1" ? (string)json["error"]!["description"]! : Http.Titles(json);
        Assert.Contains(field, title);
        Assert.Contains("Unicode", title);

        var tenantId = new Domain.Common.TenantId(tenant.TenantId);
        Assert.Equal(0, await service.QueryDbAsync(db => db.Apps.CountAsync(a => a.TenantId == tenantId)));
        Assert.Null(await service.QueryDbAsync(db => db.Tenants.Where(t => t.Id == tenantId).Select(t => t.LogoUrl).SingleAsync()));
    }

    [Fact]
    public async Task ALogoUrlWithAControlCharacter_Is400NamingIt_OnProvisionAndPatch_AndChangesNothing()
    {
        using var root = service.Root();
        var key = await root.CreateProvisioningKeyAsync();
        // JSON escapes in the bodies (NUL, other control characters, tab, line feed, DEL), which the service decodes.
        foreach (var bad in new[] { @"a\u0000b", @"a\u0001b", @"a\tb", @"a\u0085b" })
        {
            var provisioned = await root.PostJsonAsync("/v2/tenants",
                $$"""{"name":"Logo","key":"{{key}}","logo_url":"https://logo.example.com/{{bad}}.png"}""", HttpStatusCode.BadRequest);
            Assert.Contains("logo_url", Http.Titles(provisioned));
            Assert.False(provisioned["errors"]![0]!.AsObject().ContainsKey("requestId")); // only 5xx carry it, not a null on the rest
        }

        var child = await root.ProvisionAsync(new { logo_url = "https://logo.example.com/ok.png" }, name: "Logo owner");
        foreach (var bad in new[] { @"a\u0000b", @"a\u007fb", @"a\nb", @"a\tb" })
        {
            var patched = await root.PatchJsonAsync($"/v2/tenants/{child.Id}", $$"""{"logoUrl":"https://logo.example.com/{{bad}}.png"}""", HttpStatusCode.BadRequest);
            Assert.Contains("logoUrl", Http.Titles(patched));
        }

        var id = new Domain.Common.TenantId(child.Id);
        Assert.Equal("https://logo.example.com/ok.png", await service.QueryDbAsync(db => db.Tenants.Where(t => t.Id == id).Select(t => t.LogoUrl).SingleAsync()));
    }

    [Theory]
    // A field that may be left out but has no null: a null is a 400 naming it, not a silent "unchanged".
    [InlineData("PATCH", "/v2/apps/{app}", """{"displayName":null}""", "displayName", "v2")]
    [InlineData("PATCH", "/v2/apps/{app}", """{"settings":null}""", "settings", "v2")]
    [InlineData("PATCH", "/v2/apps/{app}", """{"settings":{"maskCreditCardNumbers":null}}""", "settings.maskCreditCardNumbers", "v2")]
    [InlineData("PATCH", "/v2/apps/{app}", """{"displayName":"x","settings":{"conversationRetentionSeconds":null}}""", "settings.conversationRetentionSeconds", "v2")]
    [InlineData("POST", "/v2/apps", """{"displayName":"x","settings":{"useAnimalNames":null}}""", "settings.useAnimalNames", "v2")]
    [InlineData("POST", "/v2/apps", """{"displayName":"x","settings":null}""", "settings", "v2")]
    [InlineData("PATCH", "/v2/tenants/{tenant}", """{"name":null}""", "name", "v2")]
    [InlineData("PATCH", "/v2/tenants/{tenant}", """{"contacts":null}""", "contacts", "v2")]
    [InlineData("PATCH", "/v2/tenants/{tenant}", """{"status":null}""", "status", "v2")]
    [InlineData("PATCH", "/v2/tenants/{tenant}", """{"name":"x","settings":null}""", "settings", "v2")]
    [InlineData("PUT", "/v1.1/apps/{app}", """{"name":null}""", "name", "v1")]
    [InlineData("POST", "/v1.1/apps", """{"name":"x","settings":{"echoPostback":null}}""", "settings.echoPostback", "v1")]
    public async Task NullForAFieldThatHasNone_Is400NamingIt_AndChangesNothing(string method, string route, string body, string field, string envelope)
    {
        var tenant = await service.NewTenantAsync(name: "Unchanged tenant");
        var app = await tenant.Client().CreateAppAsync("Unchanged app");
        using var client = route.StartsWith("/v2/tenants", StringComparison.Ordinal) ? service.Root() : tenant.Client(); // its parent changes a tenant
        using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method),
            route.Replace("{app}", app).Replace("{tenant}", tenant.TenantId)) { Content = Http.Json(body) });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        var json = JsonNode.Parse(text)!;
        var title = envelope == "v1" ? (string)json["error"]!["description"]! : Http.Titles(json);
        Assert.Equal(method == "POST" ? $"{field} cannot be null." : $"{field} cannot be null: leave it out to keep it as it is.", title);

        var tenantId = new Domain.Common.TenantId(tenant.TenantId);
        Assert.Equal(["Unchanged app"], await service.QueryDbAsync(db => db.Apps.Where(a => a.TenantId == tenantId).Select(a => a.DisplayName).ToListAsync()));
        Assert.Equal("Unchanged tenant", await service.QueryDbAsync(db => db.Tenants.Where(t => t.Id == tenantId).Select(t => t.Name).SingleAsync()));
    }

    [Theory]
    [InlineData("maxApps", "1", "maxApps is not a field of provisioning: set it on the new tenant with PATCH /v2/tenants/{id}.")]
    [InlineData("maxTenants", "0", "maxTenants is not a field of provisioning: set it on the new tenant with PATCH /v2/tenants/{id}.")]
    [InlineData("status", "\"suspended\"", "status is not a field of provisioning: set it on the new tenant with PATCH /v2/tenants/{id}.")]
    [InlineData("logoUrl", "\"https://cdn.example.com/l.png\"", "logoUrl is not a field of provisioning: here the logo is logo_url.")]
    // Near misses of provisioning's own fields, let through as a client's own, made a child without its user or contacts.
    [InlineData("email", "[\"owner@example.com\"]", "email is not a field of provisioning: did you mean emails, a list of addresses?")]
    [InlineData("Users", "[\"owner@example.com\"]", "Users is not a field of provisioning: did you mean emails, a list of addresses?")]
    [InlineData("contact", "5", "contact is not a field of provisioning: did you mean contacts?")]
    [InlineData("setting", "{}", "setting is not a field of provisioning: did you mean settings?")]
    [InlineData("logo", "\"https://cdn.example.com/l.png\"", "logo is not a field of provisioning: did you mean logo_url?")]
    [InlineData("timezone", "\"UTC\"", null)] // a field of a DailyStory client's own: let through
    public async Task AProvisioningWithAFieldOfTheTenantsPatch_Is400NamingIt_AndMakesNoTenant(string field, string value, string? title)
    {
        // Ignored, maxApps made an unlimited child while the caller believed it capped (a probe).
        using var parent = (await service.NewTenantAsync()).Client();
        var key = await parent.CreateProvisioningKeyAsync();
        var body = $$"""{"name":"Provisioned","key":"{{key}}","{{field}}":{{value}}}""";
        if (title is null)
        {
            await parent.PostJsonAsync("/v2/tenants", Http.Json(body), HttpStatusCode.OK);
            return;
        }

        Assert.Equal(title, Http.Titles(await parent.PostJsonAsync("/v2/tenants", Http.Json(body), HttpStatusCode.BadRequest)));
        Assert.Empty((await parent.GetJsonAsync("/v2/tenants"))["tenants"]!.AsArray());
    }

    [Fact]
    public async Task LimitOrOffsetOnAWrite_IsIgnoredAsBefore()
    {
        // Refused on reads that do not page by them (a caller asking for a page believes it has one); on a write it never
        // meant anything, and a stray one there was ignored before the rule came (a probe).
        using var client = (await service.NewTenantAsync()).Client();
        var app = await client.CreateAppAsync("stray");
        using var deleted = await client.DeleteAsync($"/v2/apps/{app}?limit=1");
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
    }

    [Theory]
    [InlineData("apps")]
    [InlineData("serviceaccounts")]
    public async Task AV1KeyCreateWithAFieldItDoesNotHave_Is400NamingIt_AndMakesNoKey(string owner)
    {
        // As on v2: a misspelt expires_at made a key that never expires (a probe). smooch-core sends {name} alone.
        using var client = (await service.NewTenantAsync()).Client();
        var id = owner == "apps" ? await client.CreateAppAsync("v1 keys") : (await client.CreateServiceAccountAsync()).Id;
        var keys = $"/v1.1/{owner}/{id}/keys";
        var before = (await client.GetJsonAsync(keys))["keys"]!.AsArray().Count;
        var refused = await client.PostJsonAsync(keys, Http.Json("""{"name":"k","expires_at":"2030-01-01T00:00:00Z"}"""), HttpStatusCode.BadRequest);
        Http.AssertV1Error(refused, "bad_request");
        Assert.Equal("expires_at is not a field of this request.", (string?)refused["error"]!["description"]);
        Assert.Equal(before, (await client.GetJsonAsync(keys))["keys"]!.AsArray().Count);
    }

    [Fact]
    public async Task ErrorTitles_QuoteAFieldNameUpTo100Characters_AndWriteTextAsSuccessBodiesDo()
    {
        // A 20,000-character unknown field made a 20 KB title (a probe); error bodies escaped "ü" and "'" where success
        // bodies do not.
        var tenant = await service.NewTenantAsync();
        using var client = tenant.Client();
        var longName = new string('f', 20_000);
        var refused = await client.PostAsync("/v2/apps", Http.Json($$"""{"displayName":"x","{{longName}}":1}"""));
        var text = await refused.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal($"{new string('f', 100)}… is not a field of this request.", Http.Titles(JsonNode.Parse(text)!));
        Assert.True(text.Length < 1000, $"{text.Length} characters");

        var email = await client.PostAsync($"/v2/tenants/{tenant.TenantId}/users", Http.Json("""{"email":"zürich's@"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, email.StatusCode);
        Assert.Contains("'zürich's@'", await email.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var unknownRoute = await client.GetAsync("/v2/nothing-here");
        var routeText = await unknownRoute.Content.ReadAsStringAsync();
        Assert.Contains("Conversations' account", routeText, StringComparison.Ordinal); // the apostrophe as itself, not \u0027
    }

    [Theory]
    [InlineData("/v2/tenants/{tenant}", """{"logo_url":"https://cdn.example.com/new.png"}""", "logo_url")] // the create's DailyStory name
    [InlineData("/v2/tenants/{tenant}", """{"name":"Renamed","max_apps":3}""", "max_apps")]
    [InlineData("/v2/serviceaccounts/{sa}", """{"name":"Renamed"}""", "name")]
    [InlineData("POST /v2/keys", """{"displayName":"k","expires_at":"2030-01-01T00:00:00Z"}""", "expires_at")] // a key that never expires
    [InlineData("POST /v2/provisioningkeys", """{"displayName":"k","expiry":"2030-01-01T00:00:00Z"}""", "expiry")]
    public async Task AFieldTheRouteWouldDrop_Is400NamingIt_AndChangesNothing(string route, string body, string field)
    {
        if (route.StartsWith("POST ", StringComparison.Ordinal))
        {
            using var client = (await service.NewTenantAsync()).Client();
            var path = route["POST ".Length..];
            async Task<int> KeysAsync() => (await client.GetJsonAsync(path)).AsObject().First().Value!.AsArray().Count; // {"keys"|"provisioningKeys":[…]}
            var before = await KeysAsync();
            Assert.Equal($"{field} is not a field of this request.", Http.Titles(await client.PostJsonAsync(path, Http.Json(body), HttpStatusCode.BadRequest)));
            Assert.Equal(before, await KeysAsync());
            return;
        }

        // Ignored, it answered 200 with nothing changed: a DailyStory-style client sending logo_url believed the logo changed
        // (a probe). Our own change routes take only their fields, as the key-state route does.
        using var root = (await service.NewTenantAsync()).Client();
        var child = await root.ProvisionAsync(new { logo_url = "https://cdn.example.com/old.png" }, name: "Unchanged");
        var sa = await root.CreateServiceAccountAsync("Unchanged account");
        var refused = await root.PatchJsonAsync(route.Replace("{tenant}", child.Id).Replace("{sa}", sa.Id), Http.Json(body), HttpStatusCode.BadRequest);
        Assert.Equal($"{field} is not a field of this request.", Http.Titles(refused));

        var tenant = (await root.GetJsonAsync($"/v2/tenants/{child.Id}"))["tenant"]!;
        Assert.Equal("Unchanged", (string?)tenant["name"]);
        Assert.Equal("https://cdn.example.com/old.png", (string?)tenant["logoUrl"]);
        Assert.Null(tenant["maxApps"]);
        Assert.Equal("Unchanged account", (string?)(await root.GetJsonAsync($"/v2/serviceaccounts/{sa.Id}"))["serviceAccount"]!["displayName"]);
    }

    [Theory]
    [InlineData("5000.0", 5000)]
    [InlineData("5e3", 5000)]
    [InlineData("5.0E+3", 5000)]
    [InlineData("1000.000", 1000)]
    public async Task AWholeNumberWrittenWithAFractionOrExponent_IsThatNumber(string written, int value)
    {
        // JSON has one number type: a client that serialises through a float (Python's json.dumps(5000.0), a DailyStory-style
        // "contacts": number) sends 5000.0, which was 400 "contacts has an invalid value or type" (a probe).
        using var client = (await service.NewTenantAsync()).Client();
        var key = await client.CreateProvisioningKeyAsync();
        var child = (string)(await client.PostJsonAsync("/v2/tenants", Http.Json($$"""{"name":"Whole","key":"{{key}}","contacts":{{written}}}"""), HttpStatusCode.OK))["tenantuid"]!;
        Assert.Equal(value, (int)(await client.GetJsonAsync($"/v2/tenants/{child}"))["tenant"]!["contacts"]!);

        var patched = await client.PatchJsonAsync($"/v2/tenants/{child}", Http.Json($$"""{"maxApps":{{written}},"contacts":{{written}}}"""));
        Assert.Equal(value, (int)patched["tenant"]!["maxApps"]!);
        var app = await client.PostJsonAsync("/v2/apps", Http.Json($$$"""{"displayName":"Whole","settings":{"conversationRetentionSeconds":{{{written}}}}}"""), HttpStatusCode.Created);
        Assert.Equal(value, (int)app["app"]!["settings"]!["conversationRetentionSeconds"]!);
    }

    [Theory]
    [InlineData("POST /v2/tenants", """{"name":"X","key":"{key}","contacts":1.5}""", "contacts must be a whole number, at most 2147483647.")]
    [InlineData("POST /v2/tenants", """{"name":"X","key":"{key}","contacts":2147483648}""", "contacts must be a whole number, at most 2147483647.")]
    // Read exactly, digit by digit: through a decimal these were rounded to 0 and 1 and taken (a review).
    [InlineData("POST /v2/tenants", """{"name":"X","key":"{key}","contacts":1e-400}""", "contacts must be a whole number, at most 2147483647.")]
    [InlineData("POST /v2/tenants", """{"name":"X","key":"{key}","contacts":0.99999999999999999999999999999}""", "contacts must be a whole number, at most 2147483647.")]
    [InlineData("POST /v2/tenants", """{"name":"X","key":"{key}","contacts":"100"}""", "contacts must be a whole number, at most 2147483647.")]
    [InlineData("PATCH /v2/tenants/{child}", """{"maxApps":2.5}""", "maxApps must be a whole number, at most 2147483647, or null.")]
    [InlineData("PATCH /v2/tenants/{child}", """{"contacts":1e10}""", "contacts must be a whole number, at most 2147483647.")]
    [InlineData("POST /v2/apps", """{"displayName":"X","settings":{"conversationRetentionSeconds":0.5}}""", "settings.conversationRetentionSeconds must be a whole number, at most 2147483647.")]
    [InlineData("PUT /v1.1/apps/{app}", """{"settings":{"conversationRetentionSeconds":1e400}}""", "settings.conversationRetentionSeconds must be a whole number, at most 2147483647.")]
    public async Task ANumberThatIsNotAWholeOneInRange_Is400SayingSo_AndChangesNothing(string route, string body, string title)
    {
        using var client = (await service.NewTenantAsync()).Client();
        var child = await client.ProvisionAsync(name: "Unchanged");
        var app = await client.CreateAppAsync("Unchanged");
        var key = await client.CreateProvisioningKeyAsync();
        var before = (await client.GetJsonAsync($"/v2/tenants/{child.Id}"))["tenant"]!.ToJsonString();
        var (method, path) = (route.Split(' ')[0], route.Split(' ')[1].Replace("{child}", child.Id).Replace("{app}", app));
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = Http.Json(body.Replace("{key}", key)) };
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var refused = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(title, path.StartsWith("/v1.1/", StringComparison.Ordinal) ? (string?)refused["error"]!["description"] : Http.Titles(refused));

        Assert.Equal(before, (await client.GetJsonAsync($"/v2/tenants/{child.Id}"))["tenant"]!.ToJsonString());
        Assert.Single((await client.GetJsonAsync("/v2/tenants"))["tenants"]!.AsArray());
        Assert.Single((await client.GetJsonAsync("/v2/apps"))["apps"]!.AsArray());
    }

    [Theory]
    [InlineData("POST /v2/apps", """{"displayName":"New","name":"x"}""", "name")]
    [InlineData("PATCH /v2/apps/{app}", """{"name":"Renamed"}""", "name")] // the v1.1 name
    [InlineData("PATCH /v2/apps/{app}", """{"id":"{app}","displayName":"Renamed"}""", "id")] // a read-modify-write
    [InlineData("PATCH /v2/apps/{app}", """{"settings":{"useAnimalName":true}}""", "settings.useAnimalName")]
    [InlineData("POST /v1.1/apps", """{"name":"New","displayName":"x"}""", "displayName")]
    [InlineData("PUT /v1.1/apps/{app}", """{"displayName":"Renamed"}""", "displayName")] // the v2 name
    [InlineData("PUT /v1.1/apps/{app}", """{"_id":"{app}","appToken":"{app}","name":"Renamed"}""", "_id")]
    [InlineData("PUT /v1.1/apps/{app}", """{"settings":{"maskCreditCardNumber":false}}""", "settings.maskCreditCardNumber")]
    public async Task AnAppBodyWithAFieldItDoesNotHave_Is400NamingIt_AndChangesNothing(string route, string body, string field)
    {
        // Ignored, {"name":…} in a v2 PATCH (or displayName in a v1.1 PUT, a misspelt setting) answered 200 and changed
        // nothing; a create made the app without it (a probe). App bodies take only their fields, as every other body does.
        using var client = (await service.NewTenantAsync()).Client();
        var app = await client.CreateAppAsync("Unchanged");
        var before = (await client.GetJsonAsync($"/v2/apps/{app}"))["app"]!.ToJsonString();
        var (method, path) = (route.Split(' ')[0], route.Split(' ')[1].Replace("{app}", app));
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = Http.Json(body.Replace("{app}", app)) };
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var refused = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        if (path.StartsWith("/v1.1/", StringComparison.Ordinal))
        {
            Http.AssertV1Error(refused, "bad_request");
            Assert.Equal($"{field} is not a field of this request.", (string?)refused["error"]!["description"]);
        }
        else
        {
            Assert.Equal($"{field} is not a field of this request.", Http.Titles(refused));
        }

        Assert.Equal(before, (await client.GetJsonAsync($"/v2/apps/{app}"))["app"]!.ToJsonString());
        Assert.Single((await client.GetJsonAsync("/v2/apps"))["apps"]!.AsArray());
    }

    [Theory]
    [InlineData("/v2/apps", """{"displayName":"a","displayName":"b"}""", "displayName is given more than once.")]
    // Fields the route does not bind too (the serializer skipped them, and a body with {"zz":1,"zz":2} was taken).
    [InlineData("/v2/apps", """{"displayName":"a","zz":1,"zz":2}""", "zz is given more than once.")]
    [InlineData("/v2/apps", """{"displayName":"x","settings":{"zz":1,"zz":2}}""", "settings.zz is given more than once.")]
    [InlineData("/v1.1/apps", """{"name":"a","zz":{"q":1,"q":2}}""", "zz.q is given more than once.")]
    [InlineData("/v2/apps", """{"displayName":"a","metadata":{"k":1,"k":2}}""", "metadata.k is given more than once.")]
    [InlineData("/v2/apps", """{"displayName":"a","settings":{"useAnimalNames":true,"useAnimalNames":false}}""", "settings.useAnimalNames is given more than once.")]
    [InlineData("/v1.1/apps", """{"name":"a","name":"b"}""", "name is given more than once.")]
    [InlineData("/v1.1/apps", """{"name":"a","Name":"b"}""", "name is given more than once.")]
    [InlineData("/v2/apps", """{"displayName":"a","settings":{"useAnimalNames":true,"UseAnimalNames":false}}""", "settings.useAnimalNames is given more than once.")]
    [InlineData("/v2/apps", """{"displayName":123}""", "displayName must be a string.")]
    [InlineData("/v2/apps", """{"displayName":"a","settings":{"useAnimalNames":"yes"}}""", "settings.useAnimalNames has an invalid value or type.")]
    [InlineData("/v2/apps", """{"displayName":""", "The request body is not valid JSON.")]
    [InlineData("/v2/apps", """{"displayName":"a"} x""", "The request body is not valid JSON.")]
    [InlineData("/v2/apps", """[]""", "The request body must be a JSON object.")]
    [InlineData("/v2/apps", """null""", "The request body must be a JSON object.")]
    [InlineData("/v1.1/apps", """5""", "The request body must be a JSON object.")]
    public async Task ABadBody_Is400SayingWhatIsWrong_AFieldGivenTwiceIncluded(string route, string body, string title)
    {
        var tenant = await service.NewTenantAsync();
        using var client = tenant.Client();
        var json = await client.PostJsonAsync(route, body, HttpStatusCode.BadRequest);
        Assert.Equal(title, route.StartsWith("/v1.1", StringComparison.Ordinal) ? (string?)json["error"]!["description"] : Http.Titles(json));
        var tenantId = new Domain.Common.TenantId(tenant.TenantId);
        Assert.Equal(0, await service.QueryDbAsync(db => db.Apps.CountAsync(a => a.TenantId == tenantId)));
    }

    [Fact]
    public async Task ABodyNestedDeeperThanTheLimit_IsSaidSo_AndOneWithinItIsRead()
    {
        // A probe: valid JSON 32 levels deep, in a field the route ignores, was 400 "not valid JSON" (the framework's
        // default depth, below the one the body's text check reads to).
        // (In provisioning's body, which lets fields it does not have through.)
        var tenant = await service.NewTenantAsync();
        using var client = tenant.Client();
        var key = await client.CreateProvisioningKeyAsync();
        string Nested(int depth) => $$"""{"name":"deep","key":"{{key}}","ignored":{{new string('[', depth - 1)}}{{new string(']', depth - 1)}}}""";
        const int most = global::Provisioning.WebApi.Contracts.JsonBodyText.MaxDepth;
        await client.PostJsonAsync("/v2/tenants", Http.Json(Nested(40)), HttpStatusCode.OK);
        await client.PostJsonAsync("/v2/tenants", Http.Json(Nested(most)), HttpStatusCode.OK);
        var json = await client.PostJsonAsync("/v2/tenants", Http.Json(Nested(most + 1)), HttpStatusCode.BadRequest);
        Assert.Equal($"The request body is nested deeper than {most} levels.", Http.Titles(json));
    }

    [Theory]
    [InlineData("/v2/apps?page%5Bsize%5D=25&page%5Bsize%5D=abc", "page[size] is given more than once.", "v2")]
    [InlineData("/v2/events?filter%5Btype%5D=app.created&filter%5Btype%5D=app.deleted", "filter[type] is given more than once.", "v2")]
    [InlineData("/v1.1/apps?limit=25&limit=26", "limit is given more than once.", "v1")]
    [InlineData("/v2/events?filter%5Btype%5D=", "filter[type] is given without a value", "v2")]
    [InlineData("/v2/events?filter%5BtenantId%5D=%20", "filter[tenantId] is given without a value", "v2")]
    [InlineData("/v2/events?filter%5BresourceId%5D=", "filter[resourceId] is given without a value", "v2")]
    [InlineData("/v2/apps?page%5Bsize%5D=0x3", "page[size] must be a whole number.", "v2")]
    [InlineData("/v1.1/apps?limit=%233", "limit must be a whole number.", "v1")]
    [InlineData("/v1.1/serviceaccounts?offset=0X2", "offset must be a whole number.", "v1")]
    [InlineData("/v1.1/apps?offset=99999999999", "offset is too large.", "v1")]
    [InlineData("/v2/apps?page%5Bsize%5D=99999999999999999999", "page[size] is too large.", "v2")]
    [InlineData("/v2/events?filter%5Bsince%5D=2020", "filter[since] is not a filter of this route (it has filter[resourceId], filter[tenantId], filter[type]).", "v2")]
    [InlineData("/v2/apps?filter%5Bbogus%5D=1", "filter[bogus] is not a filter of this route (it has filter[serviceAccountId]).", "v2")]
    [InlineData("/v2/serviceaccounts?filter%5BdisplayName%5D=x", "filter[displayName] is not a filter of this route (it has none).", "v2")]
    // v1.1 filters by a plain parameter: "it has none" misled a caller who had the v2 spelling (a probe).
    [InlineData("/v1.1/apps?filter%5BserviceAccountId%5D=x", "filter[serviceAccountId] is not a filter of this route: it takes serviceAccountId=… instead.", "v1")]
    [InlineData("/v2/serviceaccounts?filter%5B%5D=x", "filter[] is not a filter of this route (it has none).", "v2")] // (its page binds as "")
    // A list that is not paged answers all of it: a caller asking for five believed it had a page (a probe).
    [InlineData("/v2/tenants/self/users?page%5Bsize%5D=5", "page[size]: this route is not paged; it answers all of its items at once.", "v2")]
    [InlineData("/v2/tenants/self/users?page[after]=zzz", "page[after]: this route is not paged", "v2")]
    // A member a paged list does not have: a caller paging by number read the first page forever.
    [InlineData("/v2/apps?page[number]=2", "page[number] is not a paging parameter of this route (it has page[after], page[before], page[size]).", "v2")]
    [InlineData("/v1.1/apps?page[size]=2", "page[size]: this list pages with limit and offset.", "v1")]
    // The bare words were ignored: ?page=2 read the first page, ?filter=x filtered nothing (probes).
    [InlineData("/v2/events?page=2", "page is not a paging parameter of this route (it has page[after], page[before], page[size]).", "v2")]
    [InlineData("/v2/apps?PAGE=2", "PAGE is not a paging parameter of this route", "v2")]
    [InlineData("/v2/events?filter=1", "filter is not a filter of this route (it has filter[resourceId], filter[tenantId], filter[type]).", "v2")]
    [InlineData("/v1.1/apps?page=2", "page: this list pages with limit and offset.", "v1")]
    [InlineData("/v2/serviceaccounts?filter=1", "filter is not a filter of this route (it has none).", "v2")] // (a route without filters: it was a 500)
    [InlineData("/v1.1/apps?filter=1", "filter is not a filter of this route (it has none).", "v1")]
    // And limit/offset where no list pages by them: v1.1 key lists are not paged (a caller asking for five, or for
    // offset -3, was answered all of them), v2 lists page by cursor.
    [InlineData("/v1.1/serviceaccounts/{sa}/keys?limit=5", "limit: this route is not paged; it answers all of its items at once.", "v1")]
    [InlineData("/v1.1/serviceaccounts/{sa}/keys?offset=-3", "offset: this route is not paged; it answers all of its items at once.", "v1")]
    [InlineData("/v2/apps?limit=5", "limit: this list pages with page[size] and page[after] or page[before].", "v2")]
    public async Task AQueryParameterGivenTwiceEmptyMalformedOrUnknown_Is400NamingIt(string url, string title, string envelope)
    {
        using var root = service.Root();
        if (url.Contains("{sa}", StringComparison.Ordinal))
        {
            url = url.Replace("{sa}", (await root.CreateServiceAccountAsync()).Id);
        }

        var json = await root.GetJsonAsync(url, HttpStatusCode.BadRequest);
        Assert.StartsWith(title, envelope == "v1" ? (string?)json["error"]!["description"] : Http.Titles(json));
    }

    [Fact]
    public async Task APageParameterOnAWrite_Is400SayingWritesAreNotPaged_AndMakesNothing()
    {
        // It said "this route is not paged; it answers all of its items at once", of a path whose GET is paged (a probe).
        var tenant = await service.NewTenantAsync();
        using var client = tenant.Client();
        var json = await client.PostJsonAsync("/v2/serviceaccounts?page%5Bsize%5D=5", new { displayName = "paged" }, HttpStatusCode.BadRequest);
        Assert.Equal("page[size]: a write is not paged; leave it out.", Http.Titles(json));
        var tenantId = new Domain.Common.TenantId(tenant.TenantId);
        Assert.Equal(0, await service.QueryDbAsync(db => db.ServiceAccounts.CountAsync(a => a.TenantId == tenantId)));
    }

    [Fact]
    public async Task AnEventsFilterWithAControlCharacter_Is400NamingTheFilter()
    {
        using var root = service.Root();
        var json = await root.GetJsonAsync("/v2/events?filter%5BresourceId%5D=a%00b", HttpStatusCode.BadRequest);
        Assert.Contains("filter[resourceId] must not contain NUL or control characters", Http.Titles(json));

        // Escapes that are not UTF-8 were read as U+FFFD and searched for (an empty page, 200), where a body's are a 400; a
        // v1.1 route's parameter likewise. Valid ones are what they say (é, a '+' as a space).
        foreach (var (path, title) in new[]
                 {
                     ("/v2/events?filter%5Btype%5D=app.created&filter%5BresourceId%5D=%FF%FE", "filter[resourceId] must be UTF-8 text once percent-decoded (%FF is not)."),
                     ("/v2/events?filter%5BresourceId%5D=caf%E9", "filter[resourceId] must be UTF-8 text once percent-decoded (%FF is not)."),
                     ("/v1.1/apps?limit=%C0%AF", "limit must be UTF-8 text once percent-decoded (%FF is not)."),
                 })
        {
            using var refused = await root.GetAsync(path);
            Assert.True(refused.StatusCode == HttpStatusCode.BadRequest, $"{path}: {refused.StatusCode}");
            var body = JsonNode.Parse(await refused.Content.ReadAsStringAsync())!;
            Assert.Equal(title, path.StartsWith("/v1.1", StringComparison.Ordinal) ? (string?)body["error"]!["description"] : Http.Titles(body));
        }

        await root.GetJsonAsync("/v2/events?filter%5BresourceId%5D=caf%C3%A9+au+lait");
        await root.GetJsonAsync("/v2/events?utm_term=caf%E9"); // a parameter no route reads: ignored, whatever it holds
    }

    [Theory]
    [InlineData("""{"settings":{"f":{"a":"1","a":"2"}}}""", "settings.f.a is given more than once.")]
    [InlineData("""{"settings":{"f":{"a":"1"},"f":{"b":"2"}}}""", "settings.f is given more than once.")]
    // A broken setting rule names the setting (a probe: "Setting values must be at most 4096 characters." said which not).
    [InlineData("""{"settings":{"email":{"   ":"v"}}}""", "settings.email: setting names must be 1-100 characters, not only spaces.")]
    [InlineData("""{"settings":{"email":{"footer":"VALUE_4097"}}}""", "settings.email.footer must be at most 4096 characters.")]
    public async Task ASettingGivenTwiceOrBroken_IsNamed(string body, string title)
    {
        var tenant = await service.NewTenantAsync();
        using var client = tenant.Client();
        body = body.Replace("VALUE_4097", new string('x', 4097));
        Assert.Equal(title, Http.Titles(await client.PatchJsonAsync("/v2/tenants/self", Http.Json(body), HttpStatusCode.BadRequest)));
    }

    [Fact]
    public async Task TenantSettings_RefuseNulInValuesAndNames_ButKeepLineBreaksInValues()
    {
        using var root = service.Root();
        var key = await root.CreateProvisioningKeyAsync();
        var bad = await root.PostJsonAsync("/v2/tenants",
            """{"name":"Franchise","key":"KEY","settings":{"email":{"footer":"a\u0000b"}}}""".Replace("KEY", key), HttpStatusCode.BadRequest);
        Assert.Contains("settings.email.footer", Http.Titles(bad));

        var badName = await root.PostJsonAsync("/v2/tenants",
            """{"name":"Fran\u0000chise","key":"KEY"}""".Replace("KEY", key), HttpStatusCode.BadRequest);
        Assert.Contains("name", Http.Titles(badName));

        var badKey = await root.PostJsonAsync("/v2/tenants",
            """{"name":"Franchise","key":"KEY","settings":{"email":{"foo\u0002ter":"x"}}}""".Replace("KEY", key), HttpStatusCode.BadRequest);
        Assert.Contains("control character", Http.Titles(badKey));

        var good = await root.PostJsonAsync("/v2/tenants",
            """{"name":"Franchise","key":"KEY","settings":{"email":{"footer":"line one\r\nline two\tend"}}}""".Replace("KEY", key), HttpStatusCode.OK);
        using var child = service.WithBearer((string)good["token"]!);
        var self = await child.GetJsonAsync("/v2/tenants/self");
        Assert.Equal("line one\r\nline two\tend", (string?)self["tenant"]!["settings"]!["email"]!["footer"]);
    }

    [Fact]
    public async Task AUniqueNameRace_IsA409_LoggedAsAnExpectedOutcome_NotAnError()
    {
        var tenant = await service.NewTenantAsync();
        using var client = tenant.Client();
        var before = service.Factory.Logs.Lines.Count;
        var statuses = await Task.WhenAll(Enumerable.Range(0, 12).Select(async _ =>
        {
            using var response = await client.PostAsync("/v2/serviceaccounts", Http.Json(new { displayName = "racing name" }));
            return response.StatusCode;
        }));

        Assert.Single(statuses, s => s == HttpStatusCode.Created);
        Assert.All(statuses, s => Assert.Contains(s, new[] { HttpStatusCode.Created, HttpStatusCode.Conflict }));
        var logged = service.Factory.Logs.Lines.Skip(before).ToList();
        Assert.DoesNotContain(logged, l => l.StartsWith("Error", StringComparison.Ordinal) && l.Contains("CreateServiceAccount", StringComparison.Ordinal));
        Assert.DoesNotContain(logged, l => l.Contains("DbUpdateException", StringComparison.Ordinal));
    }
}
