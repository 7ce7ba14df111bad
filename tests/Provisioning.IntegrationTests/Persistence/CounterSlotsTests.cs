using System.Net;
using System.Net.Http.Json;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Persistence;

/// <summary>
/// Each tenant's apps and service accounts are counted in slots (migrations SubtreeBudgets, ServiceAccountCounts). The
/// service accounts' (below; the apps' in the budget tests) are counted in slots whose row versions are the version
/// under which the v1.1 list remembers where its pages start: every create and delete must change them, exactly, under
/// races, and a create must not wait for another create of the same tenant (a slot held is skipped, as the apps' are);
/// a tenant's slots go only after its accounts.
/// </summary>
[Collection(ServiceTestCollection.Name)]
public sealed class CounterSlotsTests(ServiceFixture service)
{
    private const string Counted = "SELECT coalesce(sum(accounts), 0)::int FROM tenant_service_account_counts WHERE tenant_id = $1";
    private const string Existing = "SELECT count(*)::int FROM service_accounts WHERE tenant_id = $1";

    [Fact]
    public async Task ACreate_DoesNotWait_ForAnotherCreateOfTheTenantStillOpen()
    {
        var tenant = await service.NewTenantAsync();
        using var client = tenant.Client();
        await client.PostJsonAsync("/v2/serviceaccounts", new { displayName = "first" }, HttpStatusCode.Created);

        // A transaction that created an account and has not committed holds the tenant's only slot.
        await using var open = await HeldRow.BeginAsync(service.ConnectionString);
        await open.ExecuteAsync("INSERT INTO service_accounts (id, tenant_id, display_name, normalized_name, created_at) "
            + $"VALUES ('s{Guid.NewGuid().ToString("N")[..23]}', '{tenant.TenantId}', 'held', 'HELD', now())");

        // The API's create goes on meanwhile (had it waited for the slot, this would wait for the commit below, never sent).
        using (var meanwhile = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            using var response = await client.PostAsJsonAsync("/v2/serviceaccounts", new { displayName = "second" }, meanwhile.Token);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }

        Assert.Equal(2, await Sql.CountAsync(service.ConnectionString, "SELECT count(*)::int FROM tenant_service_account_counts WHERE tenant_id = $1", tenant.TenantId));
        await open.ReleaseAsync();
        Assert.Equal(3, await Sql.CountAsync(service.ConnectionString, Counted, tenant.TenantId));
        Assert.Equal(3, await Sql.CountAsync(service.ConnectionString, Existing, tenant.TenantId));
    }

    [Theory]
    [InlineData("serviceaccounts", "serviceAccount", "service_accounts", "tenant_service_account_counts")]
    [InlineData("apps", "app", "apps", "tenant_app_counts")]
    public async Task ATenantsDeletion_WhileTwoOfItsRowsAreBeingDeleted_TakesTheSlotsOnlyAfterTheRows(string path, string created, string table, string counts)
    {
        // The deletion D of rows X and Y (accounts, or apps) holds X and waits for Y (another transaction E has it); the
        // tenant's deletion T then waits for X. Had T taken the tenant's slots first (a foreign key's cascade, which
        // PostgreSQL may run before the rows' depending on OIDs), D's trigger would wait for a slot T holds: a deadlock,
        // one of them refused (checked by hand: so it was with the slots' cascade made to run first). On this test database
        // both orders are the good one: for the accounts because their slots have no foreign key (MigrationTests holds the
        // schema to that) and go in a trigger on tenants after every cascade; for the apps because their slots' cascade
        // was made after the apps' (dropping that key would lock tenants exclusively during an upgrade).
        var tenant = await service.NewTenantAsync();
        using var client = tenant.Client();
        var ids = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            ids.Add((string)(await client.PostJsonAsync($"/v2/{path}", new { displayName = $"doomed {i}" }, HttpStatusCode.Created))[created]!["id"]!);
        }

        ids.Sort(StringComparer.Ordinal);
        await using var e = await HeldRow.LockAsync(service.ConnectionString, table, ids[1]);
        await using var d = await HeldRow.BeginAsync(service.ConnectionString);
        var deleteRows = d.ExecuteAsync($"DELETE FROM {table} WHERE id IN ('{ids[0]}', '{ids[1]}'); COMMIT");
        await e.UntilWaitingAsync(1);
        await using var t = await HeldRow.BeginAsync(service.ConnectionString);
        var deleteTenant = t.ExecuteAsync($"DELETE FROM tenants WHERE id = '{tenant.TenantId}'; COMMIT");
        await e.UntilWaitingAsync(2);

        await e.ReleaseAsync();
        await deleteRows; // a deadlock would throw 40P01 here or below
        await deleteTenant;
        Assert.Equal(0, await Sql.CountAsync(service.ConnectionString, $"SELECT count(*)::int FROM {counts} WHERE tenant_id = $1", tenant.TenantId));
        Assert.Equal(0, await Sql.CountAsync(service.ConnectionString, $"SELECT count(*)::int FROM {table} WHERE tenant_id = $1", tenant.TenantId));
    }

    [Fact]
    public async Task Counts_StayExact_UnderParallelCreatesAndDeletes_AndTheV1ListFollows()
    {
        var tenant = await service.NewTenantAsync();
        using var client = tenant.Client();
        var first = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            first.Add((string)(await client.PostJsonAsync("/v2/serviceaccounts", new { displayName = $"early {i}" }, HttpStatusCode.Created))["serviceAccount"]!["id"]!);
        }

        // Every page remembered, then 20 creates and the 10 early deletes all at once.
        for (var offset = 0; offset < 10; offset += 3)
        {
            await client.GetJsonAsync($"/v1.1/serviceaccounts?limit=3&offset={offset}");
        }

        await Task.WhenAll(
            Enumerable.Range(0, 20).Select(i => client.PostJsonAsync("/v2/serviceaccounts", new { displayName = $"late {i}" }, HttpStatusCode.Created))
                .Concat(first.Select(id => client.DeleteJsonAsync($"/v2/serviceaccounts/{id}"))));

        Assert.Equal(20, await Sql.CountAsync(service.ConnectionString, Counted, tenant.TenantId));
        Assert.Equal(20, await Sql.CountAsync(service.ConnectionString, Existing, tenant.TenantId));
        var all = (await client.GetJsonAsync("/v2/serviceaccounts?page[size]=100"))["serviceAccounts"]!.AsArray().Select(s => (string)s!["id"]!).ToList();
        Assert.Equal(20, all.Count);
        for (var offset = 0; offset < 10; offset += 3)
        {
            var page = await client.GetJsonAsync($"/v1.1/serviceaccounts?limit=3&offset={offset}");
            Assert.Equal(all.Skip(offset).Take(3), page["serviceAccounts"]!.AsArray().Select(s => (string)s!["_id"]!));
        }
    }
}
