using System.Net;
using System.Text.Json.Nodes;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Persistence;

/// <summary>A time in a create's answer is the time every later read gives: PostgreSQL keeps microseconds, .NET ticks.</summary>
[Collection(ServiceTestCollection.Name)]
public sealed class StoredTimesTests(ServiceFixture service)
{
    [Fact]
    public async Task EveryCreatesAnswer_GivesItsTimesAsAReadGivesThem()
    {
        var tenant = await service.NewTenantAsync(name: "Times");
        using var client = tenant.Client();
        const string expiresAt = "2031-02-03T04:05:06.1234567Z"; // 100 ns: finer than the database keeps
        var pairs = new List<(string What, JsonNode? Created, JsonNode? Read)>();

        var appId = await client.CreateAppAsync("Timed"); // (apps and app keys answer no createdAt)

        var appKey = (await client.PostJsonAsync($"/v2/apps/{appId}/keys", new { displayName = "k", expiresAt }, HttpStatusCode.Created))["key"]!;
        var appKeyRead = (await client.GetJsonAsync($"/v2/apps/{appId}/keys/{(string)appKey["id"]!}"))["key"]!;
        pairs.Add(("app key expiresAt", appKey["expiresAt"], appKeyRead["expiresAt"]));

        var accountKey = (await client.PostJsonAsync("/v2/keys", new { displayName = "k", expiresAt }, HttpStatusCode.Created))["key"]!;
        var accountKeyRead = (await client.GetJsonAsync($"/v2/keys/{(string)accountKey["id"]!}"))["key"]!;
        pairs.Add(("account key", accountKey["createdAt"], accountKeyRead["createdAt"]));
        pairs.Add(("account key expiresAt", accountKey["expiresAt"], accountKeyRead["expiresAt"]));

        var sa = (await client.PostJsonAsync("/v2/serviceaccounts", new { displayName = "Timed" }, HttpStatusCode.Created))["serviceAccount"]!;
        pairs.Add(("service account", sa["createdAt"], (await client.GetJsonAsync($"/v2/serviceaccounts/{(string)sa["id"]!}"))["serviceAccount"]!["createdAt"]));

        var provisioningKey = (await client.PostJsonAsync("/v2/provisioningkeys", new { displayName = "p", expiresAt }, HttpStatusCode.Created))["provisioningKey"]!;
        var provisioningKeys = (await client.GetJsonAsync("/v2/provisioningkeys"))["provisioningKeys"]!.AsArray();
        var provisioningKeyRead = provisioningKeys.Single(k => (string)k!["id"]! == (string)provisioningKey["id"]!)!;
        pairs.Add(("provisioning key", provisioningKey["createdAt"], provisioningKeyRead["createdAt"]));
        pairs.Add(("provisioning key expiresAt", provisioningKey["expiresAt"], provisioningKeyRead["expiresAt"]));

        var child = await client.ProvisionAsync(name: "Timed child");
        var user = (await client.PostJsonAsync($"/v2/tenants/{child.Id}/users", new { email = "t@example.com" }, HttpStatusCode.Created))["user"]!;
        var userRead = (await client.GetJsonAsync($"/v2/tenants/{child.Id}/users"))["users"]!.AsArray().Single()!;
        pairs.Add(("tenant user", user["createdAt"], userRead["createdAt"]));

        Assert.All(pairs, p =>
        {
            Assert.True(p.Created is not null, $"{p.What}: no time in the answer");
            Assert.True((string?)p.Created == (string?)p.Read, $"{p.What}: created {p.Created}, read {p.Read}");
        });
    }
}
