using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Provisioning.IntegrationTests.Fixtures;
using Provisioning.WebApi.Hosting.OpenApi;

namespace Provisioning.IntegrationTests.Documentation;

[Collection(ServiceTestCollection.Name)]
public sealed class OpenApiDocumentTests(ServiceFixture service)
{
    public static string CommittedDocumentPath => NodeProject.RepositoryPath("src", "WebApi", "openapi", "v1.json");

    [Fact]
    public async Task TheDocumentIsBuiltOnce_AndLaterRequestsGetTheSameBytes()
    {
        // Built on every request it cost ~83 ms of CPU, without credentials (a probe: 25 a second slowed every other
        // request tenfold).
        var cache = service.Factory.Services.GetRequiredService<OpenApiDocumentCache>();
        using var client = service.Anonymous();
        using var first = await client.GetAsync("/openapi/v1.json");
        var body = await first.Content.ReadAsByteArrayAsync();
        var builds = cache.Builds;
        for (var i = 0; i < 3; i++)
        {
            using var again = await client.GetAsync("/openapi/v1.json");
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
            Assert.Equal(first.Content.Headers.ContentType, again.Content.Headers.ContentType);
            Assert.Equal(body, await again.Content.ReadAsByteArrayAsync());
        }

        Assert.Equal(builds, cache.Builds);
    }

    [Fact]
    public async Task OnBehalfOf_IsNotReadOutsideTheApi_SoTheDocumentIsServedWithIt_BuiltOrCached()
    {
        // Built afresh, the request went through On-Behalf-Of's check: 404 for a tenant the caller may not act in (403 for a
        // svc_ key) — and 200 once cached (a hostile probe).
        await using var factory = new ConfiguredServiceFactory(
            await service.Postgres.CreateMigratedDatabaseAsync("openapi_" + Guid.NewGuid().ToString("N")[..8]), ServiceFixture.RootKeySettings());
        using var root = await factory.CreateRootClientAsync();
        var cache = factory.Services.GetRequiredService<OpenApiDocumentCache>();
        for (var i = 0; i < 2; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/openapi/v1.json");
            request.Headers.Add("On-Behalf-Of", "0123456789abcdef01234567");
            using var answer = await root.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            Assert.Equal(1, cache.Builds); // built by the first, cached for the second
        }

        using var api = new HttpRequestMessage(HttpMethod.Get, "/v2/apps");
        api.Headers.Add("On-Behalf-Of", "0123456789abcdef01234567");
        using var refused = await root.SendAsync(api); // read on the API
        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
    }

    [Fact]
    public async Task CommittedOpenApiDocument_MatchesTheRunningService()
    {
        var served = await service.Anonymous().GetJsonAsync("/openapi/v1.json");
        Assert.True(File.Exists(CommittedDocumentPath), $"{CommittedDocumentPath} is missing: run scripts/generate-clients.");
        var committed = JsonNode.Parse(await File.ReadAllTextAsync(CommittedDocumentPath))!;

        // servers names where this instance is reached: the one part that is not the build's.
        Assert.Equal(service.BaseAddress.ToString().TrimEnd('/'), (string?)served["servers"]![0]!["url"]);
        served.AsObject().Remove("servers");
        committed.AsObject().Remove("servers");
        Assert.True(JsonNode.DeepEquals(committed, served),
            "src/WebApi/openapi/v1.json is stale: run scripts/generate-clients and commit the result.");
    }

    [Fact]
    public async Task AnswerSchemas_RequireOnlyWhatTheServiceAlwaysSends_AndAllowTheNullsItSends()
    {
        var document = await service.Anonymous().GetJsonAsync("/openapi/v1.json");
        var schemas = document["components"]!["schemas"]!;

        // The answers of the front door and the idempotency layer are declared (a generated client called a 422 "unexpected").
        foreach (var (path, method, statuses) in new[]
        {
            ("/v2/apps", "post", new[] { "409", "413", "415", "422", "429" }),
            ("/v2/keys", "post", ["409", "422"]),
            ("/v1.1/apps", "post", ["409", "413", "415", "422"]),
            // An On-Behalf-Of tenant that is not a descendant (404) and a query parameter given twice (400) on any route; a
            // used-up maxTenants on provisioning (402); a disabled key's JWT on v1.1 as on v2 (409) — each sent by the
            // service but undeclared, so generated clients called them unexpected (a probe).
            ("/v2/keys", "get", ["400", "404"]),
            ("/v2/tenants/{tenantId}/users", "get", ["400", "404"]),
            ("/v2/tenants", "post", ["402", "404"]),
            ("/v1.1/serviceaccounts/{serviceAccountId}/keys/{keyId}/jwt", "get", ["409"]),
            ("/v1.1/apps/{appId}/keys/{keyId}/jwt", "get", ["409"]),
        })
        {
            var responses = document["paths"]![path]![method]!["responses"]!.AsObject();
            Assert.All(statuses, status => Assert.True(responses.ContainsKey(status), $"{method} {path} does not declare {status}"));
            Assert.True(responses["429"]!["headers"]!.AsObject().ContainsKey("Retry-After"));
            Assert.True(responses["503"]!["headers"]!.AsObject().ContainsKey("Retry-After"), $"{method} {path}: 503 and its Retry-After");
            Assert.True(responses["401"]!["headers"]!.AsObject().ContainsKey("WWW-Authenticate"));
        }

        string[] Required(string schema) => schemas[schema]!["required"]?.AsArray().Select(r => (string)r!).ToArray() ?? [];

        // What the service leaves out (a strict generated client rejected these real bodies, a probe with ajv):
        var tenant = await service.NewTenantAsync();
        using var client = tenant.Client();
        var page = await client.GetJsonAsync("/v2/apps");
        Assert.False(page["meta"]!.AsObject().ContainsKey("afterCursor"));
        Assert.False(page["links"]!.AsObject().ContainsKey("next"));
        Assert.DoesNotContain("afterCursor", Required("PageMeta"));
        Assert.DoesNotContain("beforeCursor", Required("PageMeta"));
        Assert.Empty(Required("PageLinks"));
        var key = (await client.GetJsonAsync("/v2/keys"))["keys"]![0]!.AsObject();
        Assert.False(key.ContainsKey("secret"));
        Assert.DoesNotContain("secret", Required("KeyDto"));
        Assert.DoesNotContain("secret", Required("ProvisioningKeyDto"));

        // and what it sends as null: an event without a related resource.
        await client.CreateAppAsync("unrelated");
        var created = (await client.GetJsonAsync("/v2/events?filter[type]=app.created"))["events"]![0]!;
        Assert.Null(created["related"]);
        // OpenAPI 3.0: "nullable" counts only beside a "type" (a nullable allOf of a reference failed to compile in ajv).
        var related = schemas["EventDto"]!["properties"]!["related"]!;
        Assert.True((bool?)related["nullable"]);
        Assert.Equal("object", (string?)related["type"]);
    }

    [Fact]
    public async Task RequestSchemas_RequireWhatTheServiceRefusesWithout_AndNothingElse()
    {
        // A field a request leaves out keeps its value or default, so no schema may require it (app settings required all
        // nine: a generated client could not send one); a field the service refuses to go without, left out or null, is
        // required and takes no null ([SchemaLimits(Required = true)]), so that a generated client sends it.
        var tenant = await service.NewTenantAsync();
        using var client = tenant.Client();
        var app = await client.PostJsonAsync("/v2/apps", new { displayName = "partial", settings = new { multiConvoEnabled = true } }, HttpStatusCode.Created);
        Assert.True((bool)app["app"]!["settings"]!["multiConvoEnabled"]!);

        var schemas = (await service.Anonymous().GetJsonAsync("/openapi/v1.json"))["components"]!["schemas"]!.AsObject();
        var required = schemas.Where(s => s.Key.EndsWith("Request", StringComparison.Ordinal))
            .SelectMany(s => s.Value!["required"]?.AsArray().Select(r => $"{s.Key}.{r}") ?? [])
            .Order(StringComparer.Ordinal).ToList();
        Assert.Equal(
        [
            "AddTenantUserRequest.email", "CreateAppRequest.displayName", "CreateKeyRequest.displayName", "DisplayNameRequest.displayName",
            "KeyStateRequest.disabled", "ProvisionTenantRequest.key", "ProvisionTenantRequest.name", "V1CreateAppRequest.name", "V1CreateKeyRequest.name",
            "V1NameRequest.name",
        ], required);
        foreach (var field in required)
        {
            var (schema, name) = (field.Split('.')[0], field.Split('.')[1]);
            Assert.False((bool?)schemas[schema]!["properties"]![name]!["nullable"] ?? false, $"{field} is required, so not null");
        }

        // Each is refused without it, left out or null, on every route that takes its schema.
        var appId = await client.CreateAppAsync();
        var accountId = (string)(await client.PostJsonAsync("/v2/serviceaccounts", new { displayName = "sa" }, HttpStatusCode.Created))["serviceAccount"]!["id"]!;
        var v1AccountId = (string)(await client.PostJsonAsync("/v1.1/serviceaccounts", new { name = "v1" }, HttpStatusCode.Created))["serviceAccount"]!["_id"]!;
        using var root = service.Root();
        var child = await root.ProvisionAsync();
        var provisioningKey = await root.CreateProvisioningKeyAsync();
        var appKeyId = (await client.CreateAppKeyAsync(appId)).Id;
        var accountKeyId = (await client.CreateServiceAccountKeyAsync(accountId)).Id;
        var provisioningKeyId = (string)(await client.PostJsonAsync("/v2/provisioningkeys", new { displayName = "prv" }, HttpStatusCode.Created))["provisioningKey"]!["id"]!;
        var routes = new (HttpClient Caller, string Method, string Path, string Schema, object Others, HttpStatusCode Refusal)[]
        {
            (client, "POST", "/v2/apps", "CreateAppRequest", new { }, HttpStatusCode.BadRequest),
            (client, "POST", "/v2/keys", "CreateKeyRequest", new { }, HttpStatusCode.BadRequest),
            (client, "POST", $"/v2/apps/{appId}/keys", "CreateKeyRequest", new { }, HttpStatusCode.BadRequest),
            (client, "POST", $"/v2/serviceaccounts/{accountId}/keys", "CreateKeyRequest", new { }, HttpStatusCode.BadRequest),
            (client, "POST", "/v2/provisioningkeys", "CreateKeyRequest", new { }, HttpStatusCode.BadRequest),
            (client, "POST", "/v2/serviceaccounts", "DisplayNameRequest", new { }, HttpStatusCode.BadRequest),
            (client, "PATCH", $"/v2/serviceaccounts/{accountId}", "DisplayNameRequest", new { }, HttpStatusCode.BadRequest),
            (client, "PATCH", $"/v2/keys/{tenant.KeyId}", "KeyStateRequest", new { }, HttpStatusCode.BadRequest),
            (client, "PATCH", $"/v2/apps/{appId}/keys/{appKeyId}", "KeyStateRequest", new { }, HttpStatusCode.BadRequest),
            (client, "PATCH", $"/v2/serviceaccounts/{accountId}/keys/{accountKeyId}", "KeyStateRequest", new { }, HttpStatusCode.BadRequest),
            (client, "PATCH", $"/v2/provisioningkeys/{provisioningKeyId}", "KeyStateRequest", new { }, HttpStatusCode.BadRequest),
            (root, "POST", $"/v2/tenants/{child.Id}/users", "AddTenantUserRequest", new { }, HttpStatusCode.BadRequest),
            (root, "POST", "/v2/tenants", "ProvisionTenantRequest", new { key = provisioningKey, name = "Required" }, HttpStatusCode.BadRequest),
            (client, "POST", "/v1.1/apps", "V1CreateAppRequest", new { }, HttpStatusCode.BadRequest),
            (client, "POST", "/v1.1/serviceaccounts", "V1NameRequest", new { }, HttpStatusCode.BadRequest),
            (client, "PUT", $"/v1.1/serviceaccounts/{v1AccountId}", "V1NameRequest", new { }, HttpStatusCode.BadRequest),
            (client, "POST", $"/v1.1/apps/{appId}/keys", "V1CreateKeyRequest", new { }, HttpStatusCode.BadRequest),
            (client, "POST", $"/v1.1/serviceaccounts/{v1AccountId}/keys", "V1CreateKeyRequest", new { }, HttpStatusCode.BadRequest),
        };
        Assert.All(required, field => Assert.Contains(routes, route => field.StartsWith(route.Schema + ".", StringComparison.Ordinal)));
        foreach (var (caller, method, path, schema, rest, refusal) in routes)
        {
            foreach (var name in required.Where(r => r.StartsWith(schema + ".", StringComparison.Ordinal)).Select(r => r[(schema.Length + 1)..]))
            {
                // Without the provisioning key, provisioning is 401: it is the credential.
                var expected = name == "key" ? HttpStatusCode.Unauthorized : refusal;
                var body = System.Text.Json.Nodes.JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(rest))!.AsObject();
                body.Remove(name);
                foreach (var sent in new[] { body.ToJsonString(), new System.Text.Json.Nodes.JsonObject(body.Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone())).Append(KeyValuePair.Create(name, (System.Text.Json.Nodes.JsonNode?)null))).ToJsonString() })
                {
                    using var answer = await caller.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = Http.Json(sent) });
                    var text = await answer.Content.ReadAsStringAsync();
                    // Named as a word of its own ("name", not the "Name" of displayName).
                    var named = System.Text.RegularExpressions.Regex.IsMatch(text, $"(?<![A-Za-z]){name}(?![A-Za-z])");
                    Assert.True(answer.StatusCode == expected && (expected == HttpStatusCode.Unauthorized || named),
                        $"{method} {path} {sent}: {(int)answer.StatusCode} {text}");
                }
            }
        }
    }

    [Fact]
    public async Task OpenApiDocument_Is30_WithBothAuthSchemes_AndAnOperationIdAndErrorBodyForEveryOperation()
    {
        var document = await service.Anonymous().GetJsonAsync("/openapi/v1.json");
        Assert.StartsWith("3.0", (string?)document["openapi"]);
        var schemes = document["components"]!["securitySchemes"]!.AsObject();
        Assert.Equal("basic", (string?)schemes["basicAuth"]!["scheme"]);
        Assert.Equal("bearer", (string?)schemes["bearerAuth"]!["scheme"]);

        var operationIds = new List<string>();
        foreach (var (path, item) in document["paths"]!.AsObject())
        {
            foreach (var (method, operation) in item!.AsObject())
            {
                var id = (string?)operation!["operationId"];
                Assert.False(string.IsNullOrEmpty(id), $"{method} {path} has no operationId");
                operationIds.Add(id!);
                var responses = operation["responses"]!.AsObject();
                if (id != "V1ListAppSdks") // SDK integrations are outside the service: that route is always 404.
                {
                    Assert.Contains(responses, r => r.Key.StartsWith('2'));
                }

                Assert.True(responses.ContainsKey("401"), $"{method} {path} does not document 401");
                foreach (var (status, response) in responses.Where(r => r.Key.StartsWith('4')))
                {
                    Assert.True(response!["content"]?["application/json"]?["schema"] is not null, $"{method} {path} {status} has no body schema");
                }
            }
        }

        Assert.Equal(operationIds.Count, operationIds.Distinct().Count());
    }

    [Fact]
    public async Task EveryOperation_HasASummaryAndADescription_AndDeclaresTheHeadersItReadsAndWrites()
    {
        var document = await service.Anonymous().GetJsonAsync("/openapi/v1.json");
        var count = 0;
        foreach (var (path, item) in document["paths"]!.AsObject())
        {
            foreach (var (method, operation) in item!.AsObject())
            {
                count++;
                var name = $"{method.ToUpperInvariant()} {path}";
                Assert.False(string.IsNullOrWhiteSpace((string?)operation!["summary"]), $"{name} has no summary");
                Assert.False(string.IsNullOrWhiteSpace((string?)operation["description"]), $"{name} has no description");
                var headers = operation["parameters"]!.AsArray().Where(p => (string?)p!["in"] == "header").Select(p => (string?)p!["name"]).ToList();
                Assert.Contains("X-Request-Id", headers);
                Assert.Contains("On-Behalf-Of", headers);
                foreach (var (status, response) in operation["responses"]!.AsObject())
                {
                    Assert.True(response!["headers"]?["X-Request-Id"] is not null, $"{name} {status} does not declare X-Request-Id");
                    if (status == "201")
                    {
                        Assert.True(response["headers"]?["Location"] is not null, $"{name} 201 does not declare Location");
                    }
                }
            }
        }

        Assert.True(count >= 58, $"only {count} operations");
    }

    [Fact]
    public async Task Servers_NamesThePublicBaseUrl_WhenOneIsConfigured()
    {
        var database = await service.Postgres.CreateMigratedDatabaseAsync("openapi_" + Guid.NewGuid().ToString("N")[..8]);
        await using var factory = new ConfiguredServiceFactory(database, new() { ["Provisioning:PublicBaseUrl"] = "https://api.example.com/sc/" });
        using var client = factory.CreateClient();
        var document = await client.GetJsonAsync("/openapi/v1.json");
        Assert.Equal("https://api.example.com/sc", (string?)document["servers"]![0]!["url"]);
    }

    [Fact]
    public async Task Docs_AreServedWithoutCredentials()
    {
        using var response = await service.Anonymous().GetAsync("/docs");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("\"url\":\"openapi/v1.json\"", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ADocumentNameThatIsNotServed_IsAnUnknownRoute_NotAPlainTextEchoOfTheName()
    {
        // The OpenAPI endpoint answered other names itself: 404 text/plain "No OpenAPI document with the name '<name>' was
        // found.", the caller's text echoed and outside the error contract (a probe).
        var tenant = await service.NewTenantAsync();
        Http.AssertV2Error(await tenant.Client().GetJsonAsync("/openapi/v2.json", HttpStatusCode.NotFound), "not_found");
        using var anonymous = await service.Anonymous().GetAsync("/openapi/%3Cb%3Ex%3C%2Fb%3E.json");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.DoesNotContain("<b>", await anonymous.Content.ReadAsStringAsync());
    }
}
