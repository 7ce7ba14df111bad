using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Provisioning.Domain.Common;
using Provisioning.Infrastructure.Persistence;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Tenants;

/// <summary>
/// Scale-out: the app budget is a counter in the tenant's row, changed by the creating transaction, so it holds when
/// creates arrive at two instances of the service on one database at once: no instance keeps budget state of its own.
/// </summary>
[Collection(ServiceTestCollection.Name)]
public sealed class BudgetAcrossInstancesTests(ServiceFixture service)
{
    private static ConfiguredServiceFactory Start(string connectionString) => new(connectionString, ServiceFixture.RootKeySettings(rateLimited: false));

    [Fact]
    public async Task ParallelCreatesOnTwoInstances_AgainstOneMaxApps_CreateExactlyTheBudget()
    {
        const int budget = 6;
        const int creates = 48;
        var database = await service.Postgres.CreateMigratedDatabaseAsync("two_instances_" + Guid.NewGuid().ToString("N")[..8]);
        await using var one = Start(database);
        await using var two = Start(database);

        // The root (on instance one) provisions a child and gives it its budget: a PATCH on the tenant by its parent.
        using var rootOnOne = one.CreateClient();
        rootOnOne.DefaultRequestHeaders.Authorization = ServiceFixture.BasicHeader(ServiceFixture.RootKeyId, ServiceFixture.RootSecret);
        var child = await rootOnOne.ProvisionAsync(name: "Budgeted across instances");
        var patched = await rootOnOne.PatchJsonAsync($"/v2/tenants/{child.Id}", new { maxApps = budget });
        Assert.Equal(budget, (int?)patched["tenant"]!["maxApps"]);

        // Half the creates go to each instance, with the child's own token, all released at once.
        var clients = new[] { one, two }.Select(instance =>
        {
            var client = instance.CreateClient();
            client.DefaultRequestHeaders.Authorization = new("Bearer", child.Token);
            return client;
        }).ToArray();
        try
        {
            using var start = new SemaphoreSlim(0);
            var requests = Enumerable.Range(0, creates).Select(async i =>
            {
                await start.WaitAsync();
                using var response = await clients[i % 2].PostAsync("/v2/apps", Http.Json(new { displayName = $"Racer {i}" }));
                var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
                return (Instance: i % 2, response.StatusCode, Code: (string?)body["errors"]?[0]?["code"]);
            }).ToList();
            start.Release(creates);
            var results = await Task.WhenAll(requests);

            Assert.Equal(budget, results.Count(r => r.StatusCode == HttpStatusCode.Created));
            Assert.Equal(creates - budget, results.Count(r => r.StatusCode == HttpStatusCode.PaymentRequired && r.Code == "payment_required"));

            // Both instances refused some: each saw the other's creates through the shared counter.
            Assert.Contains(results, r => r.Instance == 0 && r.StatusCode == HttpStatusCode.PaymentRequired);
            Assert.Contains(results, r => r.Instance == 1 && r.StatusCode == HttpStatusCode.PaymentRequired);
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }

        // The rows themselves, and the counters, agree with the budget.
        await using var scope = one.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ProvisioningDbContext>();
        var childId = new TenantId(child.Id);
        Assert.Equal(budget, await db.Apps.CountAsync(a => a.TenantId == childId));
        Assert.Equal(budget, await db.Database.SqlQuery<int>($"SELECT subtree_apps AS \"Value\" FROM tenants WHERE id = {child.Id}").SingleAsync());
        using var self = two.CreateClient();
        self.DefaultRequestHeaders.Authorization = new("Bearer", child.Token);
        Assert.Equal(budget, (int)(await self.GetJsonAsync("/v2/tenants/self"))["tenant"]!["appCount"]!);
    }
}
