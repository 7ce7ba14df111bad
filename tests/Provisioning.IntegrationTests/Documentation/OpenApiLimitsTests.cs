using System.Net;
using System.Text.Json.Nodes;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Documentation;

/// <summary>
/// The limits the OpenAPI document declares for request fields and query parameters (<c>SchemaLimitsAttribute</c>) are
/// the service's own: each is read from the served document and sent — the value at the limit is taken, one past it is a
/// 400 naming the field — and every field and parameter that can have one declares one, so that a generated client
/// knows them (a probe found the document declared none: a client learnt each from a 400).
/// </summary>
[Collection(ServiceTestCollection.Name)]
public sealed class OpenApiLimitsTests(ServiceFixture service)
{
    /// <summary>
    /// Request fields with no limit to declare: the provisioning key (any text; a wrong one is 401), and a tenant's settings,
    /// whose limits hold for the settings a change leaves (a null removes one), which JSON Schema cannot say (their limits:
    /// docs/provisioning.md).
    /// </summary>
    private static readonly HashSet<string> Unlimited = ["ProvisionTenantRequest.key", "ProvisionTenantRequest.settings", "UpdateTenantRequest.settings"];

    /// <summary>Query parameters with no limit to declare: page cursors are the service's own, taken from its links.</summary>
    private static readonly HashSet<string> UnlimitedParameters = ["page[after]", "page[before]"];

    [Fact]
    public async Task EveryRequestFieldAndQueryParameter_ThatCanHaveALimit_DeclaresOne()
    {
        var document = await service.Anonymous().GetJsonAsync("/openapi/v1.json");
        var missing = new List<string>();
        foreach (var (name, schema) in document["components"]!["schemas"]!.AsObject().Where(s => s.Key.EndsWith("Request", StringComparison.Ordinal)))
        {
            foreach (var (field, described) in schema!["properties"]!.AsObject())
            {
                if (!Unlimited.Contains($"{name}.{field}") && field != "metadata" && Undeclared(described!) is { } what)
                {
                    missing.Add($"{name}.{field}: {what}");
                }
            }
        }

        foreach (var (path, operations) in document["paths"]!.AsObject())
        {
            foreach (var (method, operation) in operations!.AsObject())
            {
                foreach (var parameter in operation!["parameters"]?.AsArray() ?? [])
                {
                    if ((string?)parameter!["in"] == "query" && !UnlimitedParameters.Contains((string)parameter["name"]!)
                        && Undeclared(parameter["schema"]!) is { } what)
                    {
                        missing.Add($"{method} {path} ?{parameter["name"]}: {what}");
                    }
                }
            }
        }

        Assert.True(missing.Count == 0, "Declare the rule's limits (SchemaLimitsAttribute):\n" + string.Join("\n", missing));
        Assert.Contains(document["paths"]!.AsObject(), p => p.Value!["get"]?["parameters"]?.AsArray().Any(q => (string?)q!["name"] == "page[size]") == true);
    }

    /// <summary>What a schema leaves undeclared that a field of its type can declare, or null.</summary>
    private static string? Undeclared(JsonNode schema) => (string?)schema["type"] switch
    {
        "string" when schema["maxLength"] is null && schema["enum"] is null && schema["pattern"] is null && (string?)schema["format"] != "date-time"
            => "a string without maxLength, enum or pattern",
        "integer" when schema["minimum"] is null => "an integer without minimum",
        "array" when schema["maxItems"] is null || schema["items"]!["maxLength"] is null => "a list without maxItems or its items' maxLength",
        "object" when schema["additionalProperties"] is JsonObject => "a map, whose limits the document cannot declare unless listed here",
        _ => null,
    };

    [Fact]
    public async Task TheNamesLimits_AreTheServices_OnEveryRouteThatTakesAName()
    {
        var schemas = await SchemasAsync();
        var tenant = await service.NewTenantAsync();
        using var client = tenant.Client();
        var appId = await client.CreateAppAsync();
        var serviceAccountId = (string)(await client.PostJsonAsync("/v2/serviceaccounts", new { displayName = "sa" }, HttpStatusCode.Created))["serviceAccount"]!["id"]!;
        var v1ServiceAccountId = (string)(await client.PostJsonAsync("/v1.1/serviceaccounts", new { name = "v1" }, HttpStatusCode.Created))["serviceAccount"]!["_id"]!;

        await AssertLengthsAsync(schemas, "CreateAppRequest", "displayName", v => client.PostAsync("/v2/apps", Http.Json(new { displayName = v })));
        await AssertLengthsAsync(schemas, "UpdateAppRequest", "displayName", v => client.PatchAsync($"/v2/apps/{appId}", Http.Json(new { displayName = v })));
        await AssertLengthsAsync(schemas, "CreateKeyRequest", "displayName", v => client.PostAsync($"/v2/apps/{appId}/keys", Http.Json(new { displayName = v })));
        await AssertLengthsAsync(schemas, "DisplayNameRequest", "displayName", v => client.PatchAsync($"/v2/serviceaccounts/{serviceAccountId}", Http.Json(new { displayName = v })));
        await AssertLengthsAsync(schemas, "V1CreateAppRequest", "name", v => client.PostAsync("/v1.1/apps", Http.Json(new { name = v })));
        var v1AppId = (string)(await client.PostJsonAsync("/v1.1/apps", new { name = "v1 app" }, HttpStatusCode.Created))["app"]!["_id"]!;
        await AssertLengthsAsync(schemas, "V1AppRequest", "name", v => client.PutAsync($"/v1.1/apps/{v1AppId}", Http.Json(new { name = v })));
        // (Another letter: service accounts' names are unique in a tenant.)
        await AssertLengthsAsync(schemas, "V1NameRequest", "name", v => client.PutAsync($"/v1.1/serviceaccounts/{v1ServiceAccountId}", Http.Json(new { name = v })),
            n => new string('v', n));
        await AssertLengthsAsync(schemas, "V1CreateKeyRequest", "name", v => client.PostAsync($"/v1.1/serviceaccounts/{v1ServiceAccountId}/keys", Http.Json(new { name = v })));
    }

    [Fact]
    public async Task TheTenantsLimits_AreTheServices_InProvisioningAndInItsPatch()
    {
        var schemas = await SchemasAsync();
        using var root = service.Root();
        var key = await root.CreateProvisioningKeyAsync();
        var child = await root.ProvisionAsync(name: "Patched to its limits");
        Task<HttpResponseMessage> Provision(object fields)
        {
            var body = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(fields))!.AsObject();
            body.TryAdd("name", "Provisioned at a limit");
            body["key"] = key;
            return root.PostAsync("/v2/tenants", Http.Json(body.ToJsonString()));
        }

        Task<HttpResponseMessage> Patch(object fields) => root.PatchAsync($"/v2/tenants/{child.Id}", Http.Json(fields));

        await AssertLengthsAsync(schemas, "ProvisionTenantRequest", "name", v => Provision(new { name = v }));
        await AssertLengthsAsync(schemas, "ProvisionTenantRequest", "logo_url", v => Provision(new { logo_url = v }), Url);
        await AssertRangeAsync(schemas["ProvisionTenantRequest"]!["properties"]!["contacts"]!, "contacts", n => Provision(new { contacts = n }));
        await AssertLengthsAsync(schemas, "UpdateTenantRequest", "name", v => Patch(new { name = v }));
        await AssertLengthsAsync(schemas, "UpdateTenantRequest", "logoUrl", v => Patch(new { logoUrl = v }), Url);
        // No format uri: the service takes what RFC 3986 refuses (a space, a host in Unicode), so a client checking it would not.
        Assert.Null(schemas["ProvisionTenantRequest"]!["properties"]!["logo_url"]!["format"]);
        Assert.Null(schemas["UpdateTenantRequest"]!["properties"]!["logoUrl"]!["format"]);
        foreach (var logo in new[] { "https://cdn.example.com/my logo.png", "https://bücher.example/logo.png" })
        {
            await AssertAnswerAsync(logo, Provision(new { logo_url = logo }), HttpStatusCode.OK);
            await AssertAnswerAsync(logo, Patch(new { logoUrl = logo }), HttpStatusCode.OK);
        }

        foreach (var field in new[] { "contacts", "maxApps", "maxTenants" })
        {
            await AssertRangeAsync(schemas["UpdateTenantRequest"]!["properties"]![field]!, field, n => Patch(new Dictionary<string, long> { [field] = n }));
        }

        // A body field's values are a pattern (an enum made the generated C# client send "Active"): each it takes is taken.
        var statusPattern = (string)schemas["UpdateTenantRequest"]!["properties"]!["status"]!["pattern"]!;
        var statuses = statusPattern.TrimStart('^', '(').TrimEnd('$', ')').Split('|').ToList();
        Assert.Equal(["active", "suspended"], statuses.Order());
        Assert.DoesNotMatch(statusPattern, "Active");
        foreach (var status in statuses.Append("active"))
        {
            await AssertAnswerAsync($"status {status}", Patch(new { status }), HttpStatusCode.OK);
        }

        await AssertRefusedAsync("status paused", Patch(new { status = "paused" }), "status");

        // A list of users: so many addresses, each of at most so many characters.
        var emails = schemas["ProvisionTenantRequest"]!["properties"]!["emails"]!;
        var most = (int)emails["maxItems"]!;
        await AssertAnswerAsync($"{most} users", Provision(new { emails = Enumerable.Range(0, most).Select(i => $"user{i}@example.com") }), HttpStatusCode.OK);
        await AssertRefusedAsync($"{most + 1} users", Provision(new { emails = Enumerable.Range(0, most + 1).Select(i => $"user{i}@example.com") }), "emails");
        await AssertLengthsAsync(emails["items"]!, "emails", v => Provision(new { emails = new[] { v } }), Email);
        await AssertLengthsAsync(schemas, "AddTenantUserRequest", "email", v => root.PostAsync($"/v2/tenants/{child.Id}/users", Http.Json(new { email = v })), Email);
    }

    [Fact]
    public async Task AnAppSettingsRange_AndEveryQueryParametersLimits_AreTheServices()
    {
        var document = await service.Anonymous().GetJsonAsync("/openapi/v1.json");
        var tenant = await service.NewTenantAsync();
        using var client = tenant.Client();
        var appId = await client.CreateAppAsync();
        await AssertRangeAsync(document["components"]!["schemas"]!["AppSettingsRequest"]!["properties"]!["conversationRetentionSeconds"]!, "conversationRetentionSeconds",
            n => client.PatchAsync($"/v2/apps/{appId}", Http.Json(new { settings = new { conversationRetentionSeconds = n } })));

        JsonNode Parameter(string path, string name) =>
            document["paths"]![path]!["get"]!["parameters"]!.AsArray().Single(p => (string?)p!["name"] == name)!["schema"]!;
        await AssertRangeAsync(Parameter("/v2/apps", "page[size]"), "page[size]", n => client.GetAsync($"/v2/apps?page[size]={n}"));
        await AssertRangeAsync(Parameter("/v2/events", "page[size]"), "page[size]", n => client.GetAsync($"/v2/events?page[size]={n}"));
        await AssertRangeAsync(Parameter("/v1.1/apps", "limit"), "limit", n => client.GetAsync($"/v1.1/apps?limit={n}"));
        await AssertRangeAsync(Parameter("/v1.1/apps", "offset"), "offset", n => client.GetAsync($"/v1.1/apps?offset={n}"));
        await AssertLengthsAsync(Parameter("/v2/events", "filter[resourceId]"), "filter[resourceId]", v => client.GetAsync($"/v2/events?filter[resourceId]={v}"));

        var types = Parameter("/v2/events", "filter[type]")["enum"]!.AsArray().Select(v => (string)v!).ToList();
        Assert.Contains("app.created", types);
        foreach (var type in types)
        {
            await AssertAnswerAsync(type, client.GetAsync($"/v2/events?filter[type]={type}"), HttpStatusCode.OK);
        }

        await AssertRefusedAsync("an unknown event type", client.GetAsync("/v2/events?filter[type]=app.renamed"), "filter[type]");

        // Ids: what the pattern takes is an id (the caller's own tenant, a service account of another: 200 and 404), what it refuses a 400.
        foreach (var (path, name, id) in new[]
        {
            ("/v2/events", "filter[tenantId]", tenant.TenantId),
            ("/v2/apps", "filter[serviceAccountId]", Domain.Common.IdGenerator.NewId()),
            ("/v1.1/apps", "serviceAccountId", Domain.Common.IdGenerator.NewId()),
        })
        {
            var pattern = new System.Text.RegularExpressions.Regex((string)Parameter(path, name)["pattern"]!);
            Assert.Matches(pattern, id);
            using (var taken = await client.GetAsync($"{path}?{name}={id}"))
            {
                Assert.NotEqual(HttpStatusCode.BadRequest, taken.StatusCode);
            }

            var wrong = id.ToUpperInvariant();
            Assert.DoesNotMatch(pattern, wrong);
            await AssertRefusedAsync($"{name}={wrong}", client.GetAsync($"{path}?{name}={wrong}"), name);
        }
    }

    private async Task<JsonNode> SchemasAsync() => (await service.Anonymous().GetJsonAsync("/openapi/v1.json"))["components"]!["schemas"]!;

    /// <summary>A string of <paramref name="length"/> characters (code points) that the field's other rules take.</summary>
    private static string Letters(int length) => new('a', length);

    private static string Url(int length) => "https://cdn.example.com/" + new string('l', length - "https://cdn.example.com/".Length);

    /// <summary>An address of exactly <paramref name="length"/> characters: a 64-character local part, labels of at most 63.</summary>
    private static string Email(int length)
    {
        var domain = length - 65;
        var labels = new List<string>();
        for (var left = domain - ".com".Length; left > 0; left -= 64)
        {
            labels.Add(new string((char)('a' + labels.Count), Math.Min(63, left)));
        }

        return new string('u', 64) + "@" + string.Join('.', labels) + ".com";
    }

    private static Task AssertLengthsAsync(JsonNode schemas, string schema, string field, Func<string, Task<HttpResponseMessage>> send, Func<int, string>? make = null) =>
        AssertLengthsAsync(schemas[schema]!["properties"]![field]!, field, send, make);

    /// <summary>The declared minLength and maxLength: each taken, one short of the first and one past the second refused.</summary>
    private static async Task AssertLengthsAsync(JsonNode schema, string field, Func<string, Task<HttpResponseMessage>> send, Func<int, string>? make = null)
    {
        make ??= Letters;
        var most = (int?)schema["maxLength"] ?? throw new Xunit.Sdk.XunitException($"{field} declares no maxLength");
        Assert.Equal(most, make(most).Length);
        await AssertAnswerAsync($"{field} of {most} characters", send(make(most)), null);
        await AssertRefusedAsync($"{field} of {most + 1} characters", send(make(most + 1)), field);
        if ((int?)schema["minLength"] is { } least and > 0)
        {
            await AssertAnswerAsync($"{field} of {least} characters", send(make(least)), null);
            await AssertRefusedAsync($"{field} of {least - 1} characters", send(make(least - 1)), field);
        }
    }

    /// <summary>The declared minimum (and maximum, when there is one): each taken, one beyond refused.</summary>
    private static async Task AssertRangeAsync(JsonNode schema, string field, Func<long, Task<HttpResponseMessage>> send)
    {
        var least = (long?)schema["minimum"] ?? throw new Xunit.Sdk.XunitException($"{field} declares no minimum");
        await AssertAnswerAsync($"{field} = {least}", send(least), null);
        await AssertRefusedAsync($"{field} = {least - 1}", send(least - 1), field);
        if ((long?)schema["maximum"] is { } most)
        {
            await AssertAnswerAsync($"{field} = {most}", send(most), null);
            await AssertRefusedAsync($"{field} = {most + 1}", send(most + 1), field);
        }
    }

    /// <summary>Taken: <paramref name="expected"/>, or any success.</summary>
    private static async Task AssertAnswerAsync(string what, Task<HttpResponseMessage> sent, HttpStatusCode? expected)
    {
        using var answer = await sent;
        var body = await answer.Content.ReadAsStringAsync();
        Assert.True(expected is { } status ? answer.StatusCode == status : answer.IsSuccessStatusCode, $"{what}: {(int)answer.StatusCode} {body}");
    }

    /// <summary>Refused: a 400 whose words name <paramref name="field"/>.</summary>
    private static async Task AssertRefusedAsync(string what, Task<HttpResponseMessage> sent, string field)
    {
        using var answer = await sent;
        var body = await answer.Content.ReadAsStringAsync();
        Assert.True(answer.StatusCode == HttpStatusCode.BadRequest && body.Contains(field, StringComparison.Ordinal), $"{what}: {(int)answer.StatusCode} {body}");
    }
}
