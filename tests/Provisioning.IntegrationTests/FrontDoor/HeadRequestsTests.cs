using System.Net;
using System.Text.Json.Nodes;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.FrontDoor;

/// <summary>
/// HEAD is GET without the body (RFC 9110 §9.3.2): every GET route answers it with the status and headers of the GET,
/// authenticated and authorised alike. (That the web server then sends no body is checked on the real server, in
/// <c>StartupProcessTests</c>.)
/// </summary>
[Collection(ServiceTestCollection.Name)]
public sealed class HeadRequestsTests(ServiceFixture service)
{
    [Fact]
    public async Task Head_AnswersAsTheGetWould_StatusAndHeaders()
    {
        var tenant = await service.NewTenantAsync();
        var other = await service.NewTenantAsync();
        using var client = tenant.Client();
        var app = await client.PostJsonAsync("/v2/apps", new { displayName = "head" }, HttpStatusCode.Created);
        var appId = (string)app["app"]!["id"]!;

        foreach (var path in new[] { "/v2/apps", $"/v2/apps/{appId}", "/v1.1/apps", $"/v1.1/apps/{appId}", "/v2/tenants/self", "/openapi/v1.json" })
        {
            using var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, path));
            using var get = await client.GetAsync(path);
            Assert.True(get.StatusCode == HttpStatusCode.OK, $"GET {path}: {get.StatusCode}");
            Assert.True(head.StatusCode == HttpStatusCode.OK, $"HEAD {path}: {head.StatusCode}");
            Assert.Equal(get.Content.Headers.ContentType, head.Content.Headers.ContentType);
        }

        // Refused as the GET is: no credentials, another tenant's app.
        using var anonymous = service.Anonymous();
        using var unauthenticated = await anonymous.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/v2/apps"));
        Assert.Equal(HttpStatusCode.Unauthorized, unauthenticated.StatusCode);
        using var stranger = other.Client();
        using var notFound = await stranger.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/apps/{appId}"));
        Assert.Equal(HttpStatusCode.NotFound, notFound.StatusCode);

        // Where there is no GET there is no HEAD.
        var sa = await client.CreateServiceAccountAsync();
        using var noGet = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/serviceaccounts/{sa.Id}/apps/{appId}"));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, noGet.StatusCode);
        Assert.Equal(["DELETE", "PUT"], noGet.Content.Headers.Allow.Order(StringComparer.Ordinal));

        // And a 405 where there is a GET names HEAD among the methods it has (errors.md; it said "GET, POST").
        foreach (var (path, allowed) in new[] { ("/v2/apps", new[] { "GET", "HEAD", "POST" }), ("/v1.1/apps", ["GET", "HEAD", "POST"]), ($"/v2/apps/{appId}", ["DELETE", "GET", "HEAD", "PATCH"]) })
        {
            using var refused = await client.SendAsync(new HttpRequestMessage(HttpMethod.Put, path));
            Assert.Equal(HttpStatusCode.MethodNotAllowed, refused.StatusCode);
            Assert.Equal(allowed, refused.Content.Headers.Allow.Order(StringComparer.Ordinal));
        }
    }

    [Fact]
    public async Task TheProbes_AnswerGetAndHead_AndAnotherMethodIs405_AsOnARoute()
    {
        // They answer before routing: every method got 200 "Healthy" (a probe of malformed requests).
        using var anonymous = service.Anonymous();
        foreach (var probe in new[] { "/healthz", "/readyz" })
        {
            using var head = await anonymous.SendAsync(new HttpRequestMessage(HttpMethod.Head, probe));
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
            foreach (var method in new[] { HttpMethod.Post, HttpMethod.Put, HttpMethod.Delete, HttpMethod.Patch, HttpMethod.Options })
            {
                using var refused = await anonymous.SendAsync(new HttpRequestMessage(method, probe) { Content = Http.Json(new { }) });
                Assert.True(refused.StatusCode == HttpStatusCode.MethodNotAllowed, $"{method} {probe}: {refused.StatusCode}");
                Assert.Equal(["GET", "HEAD"], refused.Content.Headers.Allow.Order(StringComparer.Ordinal));
                Http.AssertV2Error(JsonNode.Parse(await refused.Content.ReadAsStringAsync())!, "method_not_allowed");
            }
        }
    }
}
