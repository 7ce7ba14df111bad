using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Provisioning.IntegrationTests.Fixtures;

public static class Http
{
    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public static StringContent Json(object body) => new(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");

    /// <summary>Sends and reads the body as JSON, asserting the status code and the JSON content type.</summary>
    public static async Task<JsonNode> SendAsync(this HttpClient client, HttpMethod method, string url, object? body, HttpStatusCode expected)
    {
        using var request = new HttpRequestMessage(method, url);
        if (body is not null)
        {
            request.Content = body as HttpContent ?? (body is string s ? Json(s) : Json(body));
        }

        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"Expected {(int)expected} but got {(int)response.StatusCode} for {method} {url}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonNode.Parse(text)!;
    }

    public static Task<JsonNode> GetJsonAsync(this HttpClient client, string url, HttpStatusCode expected = HttpStatusCode.OK) =>
        client.SendAsync(HttpMethod.Get, url, null, expected);

    public static Task<JsonNode> PostJsonAsync(this HttpClient client, string url, object body, HttpStatusCode expected) =>
        client.SendAsync(HttpMethod.Post, url, body, expected);

    public static Task<JsonNode> PatchJsonAsync(this HttpClient client, string url, object body, HttpStatusCode expected = HttpStatusCode.OK) =>
        client.SendAsync(HttpMethod.Patch, url, body, expected);

    public static Task<JsonNode> PutJsonAsync(this HttpClient client, string url, object? body, HttpStatusCode expected = HttpStatusCode.OK) =>
        client.SendAsync(HttpMethod.Put, url, body, expected);

    public static Task<JsonNode> DeleteJsonAsync(this HttpClient client, string url, HttpStatusCode expected = HttpStatusCode.OK) =>
        client.SendAsync(HttpMethod.Delete, url, null, expected);

    /// <summary>Asserts a v2 error envelope with this code as its first error.</summary>
    public static void AssertV2Error(JsonNode body, string code)
    {
        var errors = body["errors"]?.AsArray();
        Assert.NotNull(errors);
        Assert.NotEmpty(errors);
        Assert.Equal(code, (string?)errors[0]!["code"]);
        Assert.False(string.IsNullOrWhiteSpace((string?)errors[0]!["title"]));
    }

    /// <summary>Asserts a v1.1 error envelope with this code.</summary>
    public static void AssertV1Error(JsonNode body, string code)
    {
        Assert.Equal(code, (string?)body["error"]?["code"]);
        Assert.False(string.IsNullOrWhiteSpace((string?)body["error"]?["description"]));
    }

    /// <summary>Sends a raw request (JSON text body or none) and asserts the status, naming the case in the failure message.</summary>
    public static async Task AssertStatusAsync(this HttpClient client, string method, string path, string? jsonBody, int expected, string because)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (jsonBody is not null)
        {
            request.Content = Json(jsonBody);
        }

        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(expected == (int)response.StatusCode, $"{method} {path} as {because}: expected {expected}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
    }

    /// <summary>Every (row, column) pair of a permission matrix, as xunit theory data.</summary>
    public static TheoryData<string, TCaller> MatrixCells<TCaller>(IEnumerable<string> rows)
        where TCaller : struct, Enum
    {
        var data = new TheoryData<string, TCaller>();
        foreach (var row in rows)
        {
            foreach (var caller in Enum.GetValues<TCaller>())
            {
                data.Add(row, caller);
            }
        }

        return data;
    }

    /// <summary>All error titles of a v2 envelope, joined, for "names the field" checks.</summary>
    public static string Titles(JsonNode body) => string.Join(" | ", body["errors"]!.AsArray().Select(e => (string?)e!["title"]));
}
