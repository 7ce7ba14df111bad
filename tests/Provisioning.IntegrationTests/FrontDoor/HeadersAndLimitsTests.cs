using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.FrontDoor;

/// <summary>What every answer carries (request id, security headers, Location) and how the web server's own refusals look.</summary>
[Collection(ServiceTestCollection.Name)]
public sealed class HeadersAndLimitsTests(ServiceFixture service)
{
    [Fact]
    public async Task EveryAnswer_CarriesARequestId_KeepingAPrintableClientValue_AndReplacingABadOne()
    {
        using var anonymous = service.Anonymous();
        var made = new List<string>();
        foreach (var path in new[] { "/healthz", "/healthz", "/v2/apps", "/v1.1/apps", "/nowhere" })
        {
            using var answer = await anonymous.GetAsync(path);
            made.Add(answer.Headers.GetValues("X-Request-Id").Single());
        }

        // Random, not the server's connection counter and the request's number on it, which told one tenant how many
        // connections the others had opened between two of its own requests (a hostile probe).
        Assert.All(made, id => Assert.Matches("^[0-9a-f]{32}$", id));
        Assert.Equal(made.Count, made.Distinct().Count());

        using var kept = new HttpRequestMessage(HttpMethod.Get, "/v2/apps");
        kept.Headers.TryAddWithoutValidation("X-Request-Id", "client-chosen id 42");
        using var keptResponse = await anonymous.SendAsync(kept);
        Assert.Equal("client-chosen id 42", keptResponse.Headers.GetValues("X-Request-Id").Single());

        using var tooLong = new HttpRequestMessage(HttpMethod.Get, "/v2/apps");
        tooLong.Headers.TryAddWithoutValidation("X-Request-Id", new string('a', 129));
        using var tooLongResponse = await anonymous.SendAsync(tooLong);
        var replaced = tooLongResponse.Headers.GetValues("X-Request-Id").Single();
        Assert.NotEqual(new string('a', 129), replaced);
        Assert.InRange(replaced.Length, 1, 128);
    }

    [Fact]
    public async Task Answers_SayNosniff_NoServer_AndApiAnswersAreNotCached()
    {
        var tenant = await service.NewTenantAsync();
        using var client = tenant.Client();
        using var created = await client.PostAsync("/v2/keys", Http.Json(new { displayName = "with a secret" }));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.True(created.Headers.CacheControl?.NoStore, "a response with a secret must say Cache-Control: no-store");
        Assert.Equal("nosniff", created.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.False(created.Headers.Contains("Server"));

        using var health = await service.Anonymous().GetAsync("/healthz");
        Assert.Equal("nosniff", health.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.False(health.Headers.Contains("Server"));
    }

    [Fact]
    public async Task A401_SaysHowToAuthenticate()
    {
        using var anonymous = service.Anonymous();
        using var wrong = service.WithBasic("act_0123456789abcdef01234567", "not-the-secret");
        foreach (var (client, path) in new[] { (anonymous, "/v2/apps"), (wrong, "/v2/apps"), (wrong, "/v1.1/apps") })
        {
            using var response = await client.GetAsync(path);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal(["Basic", "Bearer"], response.Headers.WwwAuthenticate.Select(h => h.Scheme));
            Assert.Equal("realm=\"Provisioning\"", response.Headers.WwwAuthenticate.First().Parameter);
        }

        using var badJwt = service.WithBearer("not.a.jwt");
        using var jwtResponse = await badJwt.GetAsync("/v2/apps");
        Assert.Equal(HttpStatusCode.Unauthorized, jwtResponse.StatusCode);
        Assert.Contains(jwtResponse.Headers.WwwAuthenticate, h => h.Scheme == "Bearer");
    }

    [Fact]
    public async Task Created_AnswersCarryALocationThatServesTheNewResource()
    {
        var tenant = await service.NewTenantAsync();
        using var client = tenant.Client();
        var cases = new (string Collection, object Body, string Item)[]
        {
            ("/v2/apps", new { displayName = "located" }, "app"),
            ("/v2/serviceaccounts", new { displayName = "located" }, "serviceAccount"),
            ("/v2/keys", new { displayName = "located" }, "key"),
            ("/v1.1/apps", new { name = "located v1" }, "app"),
        };
        foreach (var (collection, body, item) in cases)
        {
            using var response = await client.PostAsync(collection, Http.Json(body));
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            var json = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            var id = (string?)json[item]!["id"] ?? (string?)json[item]!["_id"];
            Assert.Equal(new Uri(service.BaseAddress, $"{collection}/{id}"), response.Headers.Location);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(response.Headers.Location)).StatusCode);
        }
    }

    [Fact]
    public async Task AHostileHostHeader_ReachesNeitherPagingLinksNorLocation()
    {
        var tenant = await service.NewTenantAsync();
        using var client = tenant.Client();
        await client.CreateAppAsync("one");
        await client.CreateAppAsync("two");

        using var list = new HttpRequestMessage(HttpMethod.Get, "/v2/apps?page[size]=1");
        list.Headers.Host = "evil.example";
        list.Headers.TryAddWithoutValidation("X-Forwarded-Host", "evil.example");
        list.Headers.TryAddWithoutValidation("X-Forwarded-Proto", "https");
        using var listed = await client.SendAsync(list);
        var next = (string?)JsonNode.Parse(await listed.Content.ReadAsStringAsync())!["links"]!["next"];
        Assert.NotNull(next);
        Assert.StartsWith(service.BaseAddress.ToString().TrimEnd('/') + "/v2/apps?", next);

        using var create = new HttpRequestMessage(HttpMethod.Post, "/v2/apps") { Content = Http.Json(new { displayName = "three" }) };
        create.Headers.Host = "evil.example";
        using var created = await client.SendAsync(create);
        Assert.Equal(service.BaseAddress.Authority, created.Headers.Location!.Authority);
    }

    [Theory]
    [InlineData("/v2/apps", false)]
    [InlineData("/v1.1/apps", true)]
    public async Task TheServersOwnRefusals_ComeInTheRoutesEnvelope(string path, bool v1)
    {
        var tenant = await service.NewTenantAsync();
        using var client = tenant.Client();
        void AssertEnvelope(int status, string code, HttpResponseMessage response, string body)
        {
            Assert.True(status == (int)response.StatusCode, $"expected {status}, got {(int)response.StatusCode}: {body}");
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            var json = JsonNode.Parse(body)!;
            if (v1)
            {
                Http.AssertV1Error(json, code);
            }
            else
            {
                Http.AssertV2Error(json, code);
            }
        }

        // A request target over 8 KB: 414.
        using (var response = await client.GetAsync(path + "?filter=" + new string('x', 9000)))
        {
            AssertEnvelope(414, "uri_too_long", response, await response.Content.ReadAsStringAsync());
        }

        // Headers over 32 KB in all: 431.
        using (var request = new HttpRequestMessage(HttpMethod.Get, path))
        {
            for (var i = 0; i < 6; i++)
            {
                request.Headers.TryAddWithoutValidation($"X-Padding-{i}", new string('p', 6000));
            }

            using var response = await client.SendAsync(request);
            AssertEnvelope(431, "request_header_fields_too_large", response, await response.Content.ReadAsStringAsync());
        }

        // UTF-8 bytes declared as UTF-16: 415, not a 500.
        using (var request = new HttpRequestMessage(HttpMethod.Post, path))
        {
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes("""{"displayName":"x","name":"x"}"""));
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json; charset=utf-16");
            using var response = await client.SendAsync(request);
            AssertEnvelope(415, "unsupported_media_type", response, await response.Content.ReadAsStringAsync());
        }

        // A method the route does not have: 405.
        using (var response = await client.PutAsync(path, Http.Json("{}")))
        {
            AssertEnvelope(405, "method_not_allowed", response, await response.Content.ReadAsStringAsync());
        }

        Assert.Equal(0, await service.QueryDbAsync(db => Task.FromResult(db.Apps.Count(a => a.TenantId == new Domain.Common.TenantId(tenant.TenantId)))));
    }

    [Theory]
    [InlineData("application/json; charset=latin1")]
    // Every charset the header names counts, however it is spelt around it (a probe: these two were read as UTF-8, 201).
    [InlineData("application/json;;charset=latin1")]
    [InlineData("application/json; charset=utf-8; charset=latin1")]
    public async Task ACharsetOtherThanUtf8_Anywhere_Is415(string contentType)
    {
        var tenant = await service.NewTenantAsync();
        using var client = tenant.Client();
        using var response = await CreateZurichAsync(client, contentType);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Http.AssertV2Error(JsonNode.Parse(await response.Content.ReadAsStringAsync())!, "unsupported_media_type");
        Assert.Equal(0, await service.QueryDbAsync(db => Task.FromResult(db.Apps.Count(a => a.TenantId == new Domain.Common.TenantId(tenant.TenantId)))));
    }

    [Theory]
    // The service does not decompress: a gzip body was a 400 "not valid JSON", the header on a plain body ignored (a probe: 201).
    [InlineData("gzip", true)]
    [InlineData("gzip", false)]
    [InlineData("br", false)]
    [InlineData("identity, gzip", false)]
    public async Task ACompressedBody_Is415_NamingAcceptEncodingIdentity(string coding, bool compressed)
    {
        var tenant = await service.NewTenantAsync();
        using var client = tenant.Client();
        var json = Encoding.UTF8.GetBytes("""{"displayName":"Zürich"}""");
        if (compressed)
        {
            using var buffer = new MemoryStream();
            using (var gzip = new System.IO.Compression.GZipStream(buffer, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
            {
                gzip.Write(json);
            }

            json = buffer.ToArray();
        }

        var content = new ByteArrayContent(json);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json");
        content.Headers.TryAddWithoutValidation("Content-Encoding", coding);
        using var response = await client.PostAsync("/v2/apps", content);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Contains("must not be compressed", Http.Titles(JsonNode.Parse(await response.Content.ReadAsStringAsync())!));
        Assert.Equal("identity", string.Join(",", response.Headers.GetValues("Accept-Encoding")));
        Assert.Equal(0, await service.QueryDbAsync(db => Task.FromResult(db.Apps.Count(a => a.TenantId == new Domain.Common.TenantId(tenant.TenantId)))));

        // identity is no coding at all, listed or not, and so is an empty value: the same body, plain, is created.
        foreach (var none in new[] { "identity", "identity, identity", "" })
        {
            var plain = new ByteArrayContent(Encoding.UTF8.GetBytes("""{"displayName":"Zürich"}"""));
            plain.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json");
            plain.Headers.TryAddWithoutValidation("Content-Encoding", none);
            using var created = await client.PostAsync("/v2/apps", plain);
            Assert.True(created.StatusCode == HttpStatusCode.Created, $"Content-Encoding '{none}': {created.StatusCode}");
        }
    }

    [Theory]
    // A body has one type: a list was read as its first (a probe: 201, and a PATCH applied).
    [InlineData("application/json, text/plain")]
    [InlineData("text/plain, application/json")]
    [InlineData("application/json,")]
    public async Task AContentTypeNamingMoreThanOneType_Is415(string contentType)
    {
        var tenant = await service.NewTenantAsync();
        using var client = tenant.Client();
        using var response = await CreateZurichAsync(client, contentType);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Contains("Content-Type names one media type", Http.Titles(JsonNode.Parse(await response.Content.ReadAsStringAsync())!));
        Assert.Equal(0, await service.QueryDbAsync(db => Task.FromResult(db.Apps.Count(a => a.TenantId == new Domain.Common.TenantId(tenant.TenantId)))));
    }

    [Fact]
    public async Task TwoContentTypeValues_Are415_AndACommaInAQuotedParameterIsNoList()
    {
        var tenant = await service.NewTenantAsync();
        using var client = tenant.Client();
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes("""{"displayName":"Zürich"}"""));
        content.Headers.TryAddWithoutValidation("Content-Type", ["application/json", "text/plain"]);
        using var twice = await client.PostAsync("/v2/apps", content);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, twice.StatusCode);

        using var quoted = await CreateZurichAsync(client, "application/json; profile=\"a,b\"");
        Assert.Equal(HttpStatusCode.Created, quoted.StatusCode);
    }

    [Theory]
    [InlineData("application/json; charset=UTF-8")]
    [InlineData("application/json; charset=\"utf-8\"")] // a quoted parameter value is the same value (RFC 9110 §5.6.6)
    [InlineData("application/json;charset=utf8")]
    [InlineData("application/json; charset=utf-8;")]
    public async Task ExplicitUtf8Charset_IsAccepted(string contentType)
    {
        var tenant = await service.NewTenantAsync();
        using var client = tenant.Client();
        using var response = await CreateZurichAsync(client, contentType);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("Zürich", (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["app"]!["displayName"]);
    }

    /// <summary>Creates an app named with a non-ASCII letter, its UTF-8 body sent with <paramref name="contentType"/> as given.</summary>
    private static Task<HttpResponseMessage> CreateZurichAsync(HttpClient client, string contentType)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes("""{"displayName":"Zürich"}"""));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return client.PostAsync("/v2/apps", content);
    }
}
