using System.Net;

namespace Provisioning.IntegrationTests.Fixtures;

/// <summary>A key made through the API, with the secret it was shown with.</summary>
public sealed record IssuedKey(string Id, string Secret);

/// <summary>A service account made through the API, with one key.</summary>
public sealed record TestServiceAccount(string Id, IssuedKey Key);

public static class CredentialsApi
{
    public static async Task<TestServiceAccount> CreateServiceAccountAsync(this HttpClient account, string? name = null)
    {
        var id = (string)(await account.PostJsonAsync("/v2/serviceaccounts", new { displayName = name ?? "SA " + Guid.NewGuid().ToString("N")[..8] },
            HttpStatusCode.Created))["serviceAccount"]!["id"]!;
        return new TestServiceAccount(id, await account.CreateServiceAccountKeyAsync(id));
    }

    public static async Task<IssuedKey> CreateServiceAccountKeyAsync(this HttpClient account, string serviceAccountId)
    {
        var key = (await account.PostJsonAsync($"/v2/serviceaccounts/{serviceAccountId}/keys", new { displayName = "key" }, HttpStatusCode.Created))["key"]!;
        return new IssuedKey((string)key["id"]!, (string)key["secret"]!);
    }

    public static async Task<IssuedKey> CreateAppKeyAsync(this HttpClient client, string appId)
    {
        var key = (await client.PostJsonAsync($"/v2/apps/{appId}/keys", new { displayName = "app key" }, HttpStatusCode.Created))["key"]!;
        return new IssuedKey((string)key["id"]!, (string)key["secret"]!);
    }

    public static async Task<string> CreateAppAsync(this HttpClient client, string displayName = "App") =>
        (string)(await client.PostJsonAsync("/v2/apps", new { displayName }, HttpStatusCode.Created))["app"]!["id"]!;

    public static HttpClient Basic(this ServiceFixture service, IssuedKey key) => service.WithBasic(key.Id, key.Secret);
}
