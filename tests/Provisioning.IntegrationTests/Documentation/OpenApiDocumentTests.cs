using System.Net;
using System.Text.Json.Nodes;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Documentation;

[Collection(ServiceTestCollection.Name)]
public sealed class OpenApiDocumentTests(ServiceFixture service)
{
    private static string RepositoryRoot([System.Runtime.CompilerServices.CallerFilePath] string path = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, "..", "..", ".."));

    public static string CommittedDocumentPath => Path.Combine(RepositoryRoot(), "src", "WebApi", "openapi", "v1.json");

    [Fact]
    public async Task CommittedOpenApiDocument_MatchesTheRunningService()
    {
        var served = await service.Anonymous().GetJsonAsync("/openapi/v1.json");
        Assert.True(File.Exists(CommittedDocumentPath), $"{CommittedDocumentPath} is missing: run scripts/generate-clients.");
        var committed = JsonNode.Parse(await File.ReadAllTextAsync(CommittedDocumentPath))!;

        Assert.True(JsonNode.DeepEquals(committed, served),
            "src/WebApi/openapi/v1.json is stale: run scripts/generate-clients and commit the result.");
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
                Assert.Contains(responses, r => r.Key.StartsWith('2'));
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
    public async Task Docs_AreServedWithoutCredentials()
    {
        using var response = await service.Anonymous().GetAsync("/docs");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("\"url\":\"openapi/v1.json\"", await response.Content.ReadAsStringAsync());
    }
}
