using System.Net;
using System.Text.Json.Nodes;

namespace Provisioning.IntegrationTests.Fixtures;

/// <summary>A tenant provisioned through the API, with its token.</summary>
public sealed record ProvisionedTenant(string Id, string Token);

public static class TenantsApi
{
    public static async Task<string> CreateProvisioningKeyAsync(this HttpClient account) =>
        (string)(await account.PostJsonAsync("/v2/provisioningkeys", new { displayName = "franchise" }, HttpStatusCode.Created))["provisioningKey"]!["secret"]!;

    /// <summary>Provisions a child of the caller's tenant with a fresh provisioning key.</summary>
    public static async Task<ProvisionedTenant> ProvisionAsync(this HttpClient account, object? extra = null, string name = "Child")
    {
        var key = await account.CreateProvisioningKeyAsync();
        var body = new JsonObject { ["name"] = name, ["key"] = key };
        if (extra is not null)
        {
            foreach (var (k, v) in JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(extra))!.AsObject())
            {
                body[k] = v?.DeepClone();
            }
        }

        var answer = await account.PostJsonAsync("/v2/tenants", Http.Json(body.ToJsonString()), HttpStatusCode.OK);
        return new ProvisionedTenant((string)answer["tenantuid"]!, (string)answer["token"]!);
    }

    public static HttpClient Client(this ServiceFixture service, ProvisionedTenant tenant) => service.WithBearer(tenant.Token);
}
