using System.Net;
using Microsoft.EntityFrameworkCore;
using Provisioning.Domain.Common;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Tenants;

[Collection(ServiceTestCollection.Name)]
public sealed class PlanLimitTests(ServiceFixture service)
{
    [Fact]
    public async Task CreatingAnAppPastMaxApps_Returns402_AndDeletingOneFreesItsPlace()
    {
        var account = (await service.NewTenantAsync()).Client();
        var child = await account.ProvisionAsync();
        await account.PatchJsonAsync($"/v2/tenants/{child.Id}", new { maxApps = 2 });
        var asChild = service.Client(child);

        var first = await asChild.CreateAppAsync("1");
        await asChild.CreateAppAsync("2");
        Http.AssertV2Error(await asChild.PostJsonAsync("/v2/apps", new { displayName = "3" }, HttpStatusCode.PaymentRequired), "payment_required");
        Http.AssertV1Error(await asChild.PostJsonAsync("/v1.1/apps", new { name = "3" }, HttpStatusCode.PaymentRequired), "payment_required");
        Assert.Equal(2, (int)(await asChild.GetJsonAsync("/v2/tenants/self"))["tenant"]!["appCount"]!);

        await asChild.DeleteJsonAsync($"/v2/apps/{first}");
        await asChild.CreateAppAsync("3");
        Assert.Equal(2, await service.QueryDbAsync(db => db.Apps.CountAsync(a => a.TenantId == new TenantId(child.Id))));

        // A service account's creates count against the same limit.
        var sa = await asChild.CreateServiceAccountAsync();
        Http.AssertV2Error(await service.Basic(sa.Key).PostJsonAsync("/v2/apps", new { displayName = "4" }, HttpStatusCode.PaymentRequired), "payment_required");
    }

    [Fact]
    public async Task TheLimitHoldsUnderConcurrency_40CreatesAgainstAMaxOf5()
    {
        var tenant = await service.NewTenantAsync(maxApps: 5);
        using var start = new SemaphoreSlim(0);
        var requests = Enumerable.Range(0, 40).Select(async i =>
        {
            using var client = tenant.Client();
            await start.WaitAsync();
            using var response = await client.PostAsync("/v2/apps", Http.Json(new { displayName = $"Racer {i}" }));
            var body = System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            return (response.StatusCode, Code: (string?)body["errors"]?[0]?["code"]);
        }).ToList();
        start.Release(40);
        var results = await Task.WhenAll(requests);

        Assert.Equal(5, results.Count(r => r.StatusCode == HttpStatusCode.Created));
        Assert.Equal(35, results.Count(r => r.StatusCode == HttpStatusCode.PaymentRequired && r.Code == "payment_required"));
        Assert.Equal(5, await service.QueryDbAsync(db => db.Apps.CountAsync(a => a.TenantId == new TenantId(tenant.TenantId))));
    }
}
