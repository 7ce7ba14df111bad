using System.Net;
using Microsoft.EntityFrameworkCore;
using Provisioning.Domain.Common;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Persistence;

/// <summary>
/// Requests racing for one resource: the first wins, the others get the answer they would have had a moment later (404),
/// never a 500, and nothing is counted twice.
/// </summary>
[Collection(ServiceTestCollection.Name)]
public sealed class RacingRequestsTests(ServiceFixture service)
{
    private static async Task<HttpStatusCode[]> InParallelAsync(int count, Func<int, Task<HttpResponseMessage>> send)
    {
        using var start = new SemaphoreSlim(0);
        var sends = Enumerable.Range(0, count).Select(async i =>
        {
            await start.WaitAsync();
            using var response = await send(i);
            return response.StatusCode;
        }).ToList();
        start.Release(count);
        return await Task.WhenAll(sends);
    }

    [Fact]
    public async Task ARowSavedUnderAParentGoneMeanwhile_IsA404OfTheParent_ToldByWhatWasSaved()
    {
        // What the race of a key made for an app being deleted comes down to, made certain: the app is not there when the
        // key's row is saved. It was told by PostgreSQL's English message ("insert or update on table …"), a 500 on a
        // server whose lc_messages is another language (a review); now by the save's rows and the constraint's tables.
        var tenant = await service.NewTenantAsync();
        var thrown = await Assert.ThrowsAsync<Application.Common.Exceptions.NotFoundException>(() => service.QueryDbAsync(async db =>
        {
            db.ApiKeys.Add(Domain.Credentials.ApiKey.ForApp(
                new TenantId(tenant.TenantId), new AppId(IdGenerator.NewId()), "Orphan", _ => [1, 2, 3], DateTimeOffset.UtcNow));
            return await db.SaveChangesAsync();
        }));
        Assert.Equal("App", thrown.Resource);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AnAppCreatedByAServiceAccountDeletedMeanwhile_Is401AsItsKeyNowIs_NotA404OfTheAccount(bool keyed)
    {
        // The key passes its checks, the app's row waits (a trigger sleeps on it), the service account is deleted with its
        // keys, then the app's grant to the account meets the foreign key. The caller named no service account: its key
        // is gone, so the answer is authentication's (a probe got "Service account not found." here).
        var tenant = await service.NewTenantAsync();
        using var account = tenant.Client();
        var sa = await account.CreateServiceAccountAsync();
        using var asServiceAccount = service.Basic(sa.Key);
        await asServiceAccount.GetJsonAsync("/v2/apps"); // its key is in this instance's cache
        var name = "Held " + Guid.NewGuid().ToString("N")[..8];
        var trigger = "hold_" + Guid.NewGuid().ToString("N")[..8];
        var hold = $"""
            CREATE FUNCTION {trigger}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(2); RETURN NEW; END $$;
            CREATE TRIGGER {trigger} BEFORE INSERT ON apps FOR EACH ROW WHEN (NEW.display_name = '{name}') EXECUTE FUNCTION {trigger}();
            """;
        var release = $"DROP TRIGGER {trigger} ON apps; DROP FUNCTION {trigger}();"; // (names of the test's own making)
        await service.QueryDbAsync(db => db.Database.ExecuteSqlRawAsync(hold));
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/apps") { Content = Http.Json(new { displayName = name }) };
            if (keyed)
            {
                request.Headers.Add("Idempotency-Key", trigger);
            }

            var create = asServiceAccount.SendAsync(request);
            var held = false;
            for (var i = 0; i < 400 && !held; i++)
            {
                await Task.Delay(25);
                held = await service.QueryDbAsync(db => db.Database.SqlQuery<bool>(
                    $"SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'PgSleep' AND query LIKE '%INSERT INTO apps%') AS \"Value\"")
                    .SingleAsync());
            }

            Assert.True(held, "The create never reached its held INSERT: the race this test is about did not happen.");

            await account.DeleteJsonAsync($"/v2/serviceaccounts/{sa.Id}");
            using var response = await create;
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Http.AssertV2Error(System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync())!, "unauthorized");
            Assert.False(await service.QueryDbAsync(db => db.Apps.AnyAsync(a => a.DisplayName == name)));
            Assert.False(await service.QueryDbAsync(db => db.IdempotencyRecords.AnyAsync(r => r.Key == trigger)));
        }
        finally
        {
            await service.QueryDbAsync(db => db.Database.ExecuteSqlRawAsync(release));
        }
    }

    [Fact]
    public async Task ADeleteOfAChild_WhileAnAncestorDeletesTheCallersOwnTenant_Is401AsItsKeyNowIs_NotA404()
    {
        // The caller's tenant (and with it its key and the child) is deleted while the caller's delete of the child waits
        // for the child's row: the child is then gone, and so is the caller's key. Any 404 of a change now makes the unit
        // of work ask the database about the caller's key (it was a flag each 404 site had to set, and this one did not).
        var parent = await service.NewTenantAsync(name: "Deleted from above");
        using var asParent = parent.Client();
        var child = await asParent.ProvisionAsync(name: "Deleted twice");
        await asParent.GetJsonAsync("/v2/tenants/self"); // its key is in this instance's cache

        await using var above = new Npgsql.NpgsqlConnection(service.ConnectionString);
        await above.OpenAsync();
        await using var deleting = await above.BeginTransactionAsync();
        await using (var delete = new Npgsql.NpgsqlCommand($"DELETE FROM tenants WHERE id = '{parent.TenantId}'", above, deleting))
        {
            await delete.ExecuteNonQueryAsync();
        }

        var request = asParent.DeleteAsync($"/v2/tenants/{child.Id}");
        var waiting = false;
        for (var i = 0; i < 400 && !waiting && !request.IsCompleted; i++)
        {
            await Task.Delay(25);
            waiting = await service.QueryDbAsync(db => db.Database.SqlQuery<bool>(
                $"SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> {above.ProcessID}) AS \"Value\"")
                .SingleAsync());
        }

        Assert.True(waiting, "The delete never waited for the tenant's rows: the race this test is about did not happen.");
        await deleting.CommitAsync();
        using var response = await request;
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Http.AssertV2Error(System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync())!, "unauthorized");
    }

    [Fact]
    public async Task ParallelDeletesOfOneTenant_OneWins_AndItsBudgetIsGivenBackOnce()
    {
        using var root = service.Root();
        var parent = await root.ProvisionAsync(name: "Budgeted parent " + Guid.NewGuid().ToString("N")[..6]);
        await root.PatchJsonAsync($"/v2/tenants/{parent.Id}", new { maxTenants = 1 });
        using var asParent = service.Client(parent);

        for (var round = 0; round < 3; round++)
        {
            var child = await asParent.ProvisionAsync(name: "Doomed " + round);
            var statuses = await InParallelAsync(20, _ => asParent.DeleteAsync($"/v2/tenants/{child.Id}"));
            Assert.Equal(1, statuses.Count(s => s == HttpStatusCode.OK));
            Assert.All(statuses, s => Assert.Contains(s, new[] { HttpStatusCode.OK, HttpStatusCode.NotFound }));
            var deletedEvents = await service.QueryDbAsync(db => db.AuditEvents.CountAsync(e => e.Type == "tenant.deleted" && e.ResourceId == child.Id));
            Assert.Equal(1, deletedEvents);
        }

        // One child at a time, as the budget says: the three deletes gave back three, not sixty.
        await asParent.ProvisionAsync(name: "The one allowed");
        var key = await asParent.CreateProvisioningKeyAsync();
        Http.AssertV2Error(await asParent.PostJsonAsync("/v2/tenants", new { name = "One too many", key }, HttpStatusCode.PaymentRequired), "payment_required");
        Assert.Equal(1, await service.QueryDbAsync(db => db.Tenants.CountAsync(t => t.ParentId == new TenantId(parent.Id))));
    }

    [Theory]
    [InlineData("delete")]
    [InlineData("disable")]
    public async Task TheLastTwoAccountKeys_StoppedInParallel_EachByTheOther_LeaveOneWorking(string stop)
    {
        // Each of a tenant's two account keys stops the other at the same instant: each would count the other as its
        // stand-in unless the two count in turn (under the tenant's lock). Both held at their key's row, then let go.
        var tenant = await service.NewTenantAsync();
        using var first = tenant.Client();
        var second = (await first.PostJsonAsync("/v2/keys", new { displayName = "second" }, HttpStatusCode.Created))["key"]!;
        var secondId = (string)second["id"]!;
        using var asSecond = service.WithBasic(secondId, (string)second["secret"]!);
        Task<HttpResponseMessage> Stop(HttpClient caller, string keyId) => stop == "delete"
            ? caller.DeleteAsync($"/v2/keys/{keyId}")
            : caller.PatchAsync($"/v2/keys/{keyId}", Http.Json(new { disabled = true }));

        await using var held = await HeldRow.BeginAsync(service.ConnectionString);
        await held.ExecuteAsync($"SELECT 1 FROM api_keys WHERE id IN ('{tenant.KeyId}', '{secondId}') FOR UPDATE");
        var stops = new[] { Stop(asSecond, tenant.KeyId), Stop(first, secondId) };
        await held.UntilWaitingAsync(2);
        await held.ReleaseAsync();
        var statuses = (await Task.WhenAll(stops)).Select(r => r.StatusCode).ToList();

        // One stops its key; the other finds its own the last (409), or itself stopped meanwhile (401): never both.
        Assert.Equal(1, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Contains(statuses.Single(s => s != HttpStatusCode.OK), new[] { HttpStatusCode.Conflict, HttpStatusCode.Unauthorized });
        Assert.Equal(1, await service.QueryDbAsync(db => db.ApiKeys.CountAsync(k =>
            k.TenantId == new TenantId(tenant.TenantId) && k.Kind == Domain.Credentials.KeyKind.Account && !k.Disabled)));
        var survivor = statuses[0] == HttpStatusCode.OK ? asSecond : first;
        Assert.Equal(HttpStatusCode.OK, (await survivor.GetAsync("/v2/apps")).StatusCode);
    }

    [Fact]
    public async Task ParallelDeletesOfOneApp_OneWins_TheOthersAre404()
    {
        var tenant = await service.NewTenantAsync();
        using var client = tenant.Client();
        var appId = await client.CreateAppAsync("Deleted ten times at once");
        var statuses = await InParallelAsync(10, _ => client.DeleteAsync($"/v2/apps/{appId}"));
        Assert.Equal(1, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(9, statuses.Count(s => s == HttpStatusCode.NotFound));
        Assert.Equal(0, await service.QueryDbAsync(db => db.Apps.CountAsync(a => a.TenantId == new TenantId(tenant.TenantId))));
    }

    [Fact]
    public async Task ParallelMergePatches_AllLand_NoneIsLost()
    {
        var tenant = await service.NewTenantAsync();
        using var client = tenant.Client();
        var appId = await client.CreateAppAsync("Merged into ten times at once");
        var statuses = await InParallelAsync(10, i => client.PatchAsync($"/v2/apps/{appId}", Http.Json(new { metadata = new Dictionary<string, int> { [$"k{i}"] = i } })));
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        var metadata = (await client.GetJsonAsync($"/v2/apps/{appId}"))["app"]!["metadata"]!.AsObject();
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"k{i}").Order(), metadata.Select(p => p.Key).Order());

        using var root = service.Root();
        var child = await root.ProvisionAsync(name: "Settings merged in parallel");
        statuses = await InParallelAsync(10, i => root.PatchAsync($"/v2/tenants/{child.Id}",
            Http.Json(new { settings = new Dictionary<string, Dictionary<string, string>> { ["f"] = new() { [$"k{i}"] = "v" } } })));
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        var own = (await root.GetJsonAsync($"/v2/tenants/{child.Id}"))["tenant"]!["ownSettings"]!["f"]!.AsObject();
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"k{i}").Order(), own.Select(p => p.Key).Order());

        // Parallel suspensions: one changes the status, so one tenant.suspended event; the others change nothing.
        statuses = await InParallelAsync(10, _ => root.PatchAsync($"/v2/tenants/{child.Id}", Http.Json(new { status = "suspended" })));
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.Equal(1, await service.QueryDbAsync(db => db.AuditEvents.CountAsync(e => e.Type == "tenant.suspended" && e.ResourceId == child.Id)));
    }

    [Fact]
    public async Task ParallelNoOpAdds_AreTheNoOpAnswer_NotA409()
    {
        var tenant = await service.NewTenantAsync();
        using var client = tenant.Client();
        var sa = await client.CreateServiceAccountAsync();
        var appId = await client.CreateAppAsync("Granted ten times at once");
        var grants = await InParallelAsync(10, _ => client.PutAsync($"/v2/serviceaccounts/{sa.Id}/apps/{appId}", null));
        Assert.All(grants, s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.Equal(1, await service.QueryDbAsync(db => db.AppGrants.CountAsync(g => g.AppId == new AppId(appId))));

        var adds = await InParallelAsync(10, _ => client.PostAsync("/v2/tenants/self/users", Http.Json(new { email = "same@example.com" })));
        Assert.Equal(1, adds.Count(s => s == HttpStatusCode.Created));
        Assert.Equal(9, adds.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(1, await service.QueryDbAsync(db => db.AuditEvents.CountAsync(e => e.Type == "tenantUser.added" && e.ResourceId == "same@example.com" && e.TenantId == new TenantId(tenant.TenantId))));
    }

    [Fact]
    public async Task ABudgetChangedWhileAppsAreCreatedUnderIt_NeitherSideFails()
    {
        using var root = service.Root();
        var child = await root.ProvisionAsync(name: "Budget changed under load " + Guid.NewGuid().ToString("N")[..6]);
        await root.PatchJsonAsync($"/v2/tenants/{child.Id}", new { maxApps = 1000 });
        using var asChild = service.Client(child);
        var statuses = await InParallelAsync(40, i => i % 4 == 0
            ? root.PatchAsync($"/v2/tenants/{child.Id}", Http.Json(new { maxApps = 1000 + i }))
            : asChild.PostAsync("/v2/apps", Http.Json(new { displayName = "under a changing budget " + i })));
        Assert.True(statuses.All(s => s is HttpStatusCode.OK or HttpStatusCode.Created),
            string.Join("\n", service.Factory.Logs.Lines.Where(l => l.StartsWith("Error", StringComparison.Ordinal)).TakeLast(3)));
        var created = statuses.Count(s => s == HttpStatusCode.Created);
        Assert.Equal(created, (int)(await root.GetJsonAsync($"/v2/tenants/{child.Id}"))["tenant"]!["appCount"]!);
    }

    [Theory]
    [InlineData("app created")]
    [InlineData("app deleted")]
    [InlineData("tenant provisioned")]
    public async Task ABudgetSetOnAnAncestor_WaitsForWhatIsInFlightBelowIt_AndStartsFromTheTruth(string inFlight)
    {
        // A budget starts from what its subtree holds, counted once the creates and deletions in flight there are over:
        // they hold the budgets' lock of every tenant on their path, which the budget change takes whole for its tenant.
        // Held here two levels below the budget, on a row it waits for after its reservation (or release).
        using var root = service.Root();
        var top = await root.ProvisionAsync(name: "Budgeted above work in flight");
        using var asTop = service.Client(top);
        var below = await asTop.ProvisionAsync(name: "Working below it");
        using var asBelow = service.Client(below);
        var doomed = inFlight == "app deleted" ? await asBelow.CreateAppAsync("deleted in flight") : null;
        var provisioningKey = inFlight == "tenant provisioned" ? await asBelow.CreateProvisioningKeyAsync() : null;
        await using var held = doomed is null
            ? await HeldRow.LockAsync(service.ConnectionString, "tenants", below.Id) // the new row's foreign key waits for it
            : await HeldRow.LockAsync(service.ConnectionString, "api_keys", (await asBelow.CreateAppKeyAsync(doomed)).Id); // the delete cascades to it
        var working = inFlight switch
        {
            "app created" => asBelow.PostAsync("/v2/apps", Http.Json(new { displayName = "created in flight" })),
            "app deleted" => asBelow.DeleteAsync($"/v2/apps/{doomed}"),
            _ => asBelow.PostAsync("/v2/tenants", Http.Json(new { name = "provisioned in flight", key = provisioningKey })),
        };
        await held.UntilWaitingAsync(1);
        Assert.Equal(1, await Sql.CountAsync(service.ConnectionString, // it waits holding the budgets' locks of its path
            "SELECT count(DISTINCT a.pid) FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid AND l.locktype = 'advisory' AND l.granted WHERE a.datname = current_database() AND a.wait_event_type = 'Lock'"));

        var tenants = inFlight == "tenant provisioned";
        var setting = root.PatchAsync($"/v2/tenants/{top.Id}", Http.Json(tenants ? new { maxApps = (int?)null, maxTenants = (int?)5 } : new { maxApps = (int?)5, maxTenants = (int?)null }));
        await held.UntilWaitingAsync(2);
        await held.ReleaseAsync();
        using (var done = await working)
        {
            Assert.True(done.IsSuccessStatusCode, $"{inFlight}: {done.StatusCode}");
        }

        using (var set = await setting)
        {
            Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        }

        var truth = tenants
            ? await service.QueryDbAsync(db => db.Tenants.CountAsync(t => t.Path.Contains(top.Id) && t.Id != new TenantId(top.Id)))
            : await service.QueryDbAsync(db => db.Apps.CountAsync(a => db.Tenants.Any(t => t.Id == a.TenantId && t.Path.Contains(top.Id))));
        Assert.Equal(tenants ? 2 : inFlight == "app created" ? 1 : 0, truth);
        Assert.Equal(truth, await CounterAsync(tenants ? "descendant_tenants" : "subtree_apps", top.Id));
    }

    [Fact]
    public async Task KeysMadeForAnAppBeingDeleted_Are201Or404_NeverA500()
    {
        var tenant = await service.NewTenantAsync();
        using var client = tenant.Client();
        var appId = await client.CreateAppAsync("Deleted while keys are made");
        var statuses = await InParallelAsync(10, i => i == 0
            ? client.DeleteAsync($"/v2/apps/{appId}")
            : client.PostAsync($"/v2/apps/{appId}/keys", Http.Json(new { displayName = "racing" })));
        Assert.Equal(HttpStatusCode.OK, statuses[0]);
        Assert.All(statuses.Skip(1), s => Assert.Contains(s, new[] { HttpStatusCode.Created, HttpStatusCode.NotFound }));
        Assert.Equal(0, await service.QueryDbAsync(db => db.ApiKeys.CountAsync(k => k.AppId == new AppId(appId))));
    }

    private string ErrorLines() =>
        string.Join("\n", service.Factory.Logs.Lines.Where(l => l.StartsWith("Error", StringComparison.Ordinal)).TakeLast(3));

    private Task<int> CounterAsync(string column, string tenantId) => service.QueryDbAsync(db => column == "subtree_apps"
        ? db.Database.SqlQuery<int>($"SELECT subtree_apps AS \"Value\" FROM tenants WHERE id = {tenantId}").SingleAsync()
        : db.Database.SqlQuery<int>($"SELECT descendant_tenants AS \"Value\" FROM tenants WHERE id = {tenantId}").SingleAsync());

    [Fact]
    public async Task CreatesUnderTwoNestedBudgets_NeverDeadlock()
    {
        // A reseller with a budget and a customer of it with one: each create counts on both rows.
        using var root = service.Root();
        var reseller = await root.ProvisionAsync(name: "Nested budgets " + Guid.NewGuid().ToString("N")[..6]);
        await root.PatchJsonAsync($"/v2/tenants/{reseller.Id}", new { maxApps = 100000, maxTenants = 1000 });
        using var asReseller = service.Client(reseller);
        var customer = await asReseller.ProvisionAsync(name: "Customer");
        await asReseller.PatchJsonAsync($"/v2/tenants/{customer.Id}", new { maxApps = 50000, maxTenants = 500 });
        using var asCustomer = service.Client(customer);
        var key = await asCustomer.CreateProvisioningKeyAsync();

        for (var round = 0; round < 4; round++)
        {
            var doomed = await asCustomer.CreateAppAsync("deleted in the race");
            var statuses = await InParallelAsync(40, i => i switch
            {
                0 => asCustomer.DeleteAsync($"/v2/apps/{doomed}"),
                _ when i % 4 == 1 => asCustomer.PostAsync("/v2/tenants", Http.Json(new { name = $"Sub {round} {i}", key })),
                _ => asCustomer.PostAsync("/v2/apps", Http.Json(new { displayName = "nested " + i })),
            });

            Assert.True(statuses.All(s => s is HttpStatusCode.OK or HttpStatusCode.Created), string.Join(",", statuses) + "\n" + ErrorLines());
        }

        var apps = await service.QueryDbAsync(db => db.Apps.CountAsync(a => a.TenantId == new TenantId(customer.Id)));
        var subs = await service.QueryDbAsync(db => db.Tenants.CountAsync(t => t.ParentId == new TenantId(customer.Id)));
        Assert.Equal(apps, await CounterAsync("subtree_apps", customer.Id));
        Assert.Equal(apps, await CounterAsync("subtree_apps", reseller.Id));
        Assert.Equal(subs, await CounterAsync("descendant_tenants", customer.Id));
        Assert.Equal(subs + 1, await CounterAsync("descendant_tenants", reseller.Id));
    }

    [Fact]
    public async Task ASubtreeDeletedWhileCreatesRunInIt_GivesBackEveryPlace_AndTheCreatesAre404Or401_NeverA500()
    {
        using var root = service.Root();
        var parent = await root.ProvisionAsync(name: "Budget kept exact " + Guid.NewGuid().ToString("N")[..6]);
        await root.PatchJsonAsync($"/v2/tenants/{parent.Id}", new { maxApps = 1000, maxTenants = 1000 });
        using var asParent = service.Client(parent);
        for (var round = 0; round < 3; round++)
        {
            var doomed = await asParent.ProvisionAsync(name: "Doomed " + round);
            using var asDoomed = service.Client(doomed);
            var key = await asDoomed.CreateProvisioningKeyAsync();
            var statuses = await InParallelAsync(24, i => i switch
            {
                12 => asParent.DeleteAsync($"/v2/tenants/{doomed.Id}"),
                _ when i % 2 == 0 => asDoomed.PostAsync("/v2/tenants", Http.Json(new { name = "Racing " + i, key })),
                _ => asDoomed.PostAsync("/v2/apps", Http.Json(new { displayName = "racing " + i })),
            });

            Assert.Equal(HttpStatusCode.OK, statuses[12]);
            Assert.True(statuses.All(s => s is HttpStatusCode.OK or HttpStatusCode.Created or HttpStatusCode.NotFound or HttpStatusCode.Unauthorized),
                string.Join(",", statuses) + "\n" + ErrorLines());
            // The parent holds nothing now, and its counters say so: every place the subtree took is back.
            Assert.Equal(0, await CounterAsync("subtree_apps", parent.Id));
            Assert.Equal(0, await CounterAsync("descendant_tenants", parent.Id));
        }
    }

    [Fact]
    public async Task ARevokeRacingAServiceAccountsDelete_OneOfThemIs404_NeverBoth200()
    {
        var tenant = await service.NewTenantAsync();
        using var account = tenant.Client();
        var sa = await account.CreateServiceAccountAsync();
        using var asServiceAccount = service.Basic(sa.Key);
        var bothWon = 0;
        for (var round = 0; round < 12; round++)
        {
            var appId = await account.CreateAppAsync("revoked while deleted " + round);
            await account.PutJsonAsync($"/v2/serviceaccounts/{sa.Id}/apps/{appId}", null);
            var statuses = await InParallelAsync(2, i => i == 0
                ? account.DeleteAsync($"/v2/serviceaccounts/{sa.Id}/apps/{appId}")
                : asServiceAccount.DeleteAsync($"/v2/apps/{appId}"));
            Assert.All(statuses, s => Assert.Contains(s, new[] { HttpStatusCode.OK, HttpStatusCode.NotFound }));
            bothWon += statuses.All(s => s == HttpStatusCode.OK) ? 1 : 0;
        }

        // Before: a key whose grant had just been revoked still deleted the app (both 200) in a third of the rounds.
        Assert.Equal(0, bothWon);
    }

    [Fact]
    public async Task AnAppDeletedWhileKeysAreMadeForIt_AndAppsCreatedBesideIt_UnderABudget_NeverDeadlocks()
    {
        using var root = service.Root();
        var tenant = await root.ProvisionAsync(name: "Delete under a budget " + Guid.NewGuid().ToString("N")[..6]);
        await root.PatchJsonAsync($"/v2/tenants/{tenant.Id}", new { maxApps = 1000 });
        using var client = service.Client(tenant);
        for (var round = 0; round < 8; round++)
        {
            var appId = await client.CreateAppAsync("deleted while keyed " + round);
            var statuses = await InParallelAsync(13, i => i switch
            {
                0 => client.DeleteAsync($"/v2/apps/{appId}"),
                _ when i % 2 == 1 => client.PostAsync($"/v2/apps/{appId}/keys", Http.Json(new { displayName = "racing " + i })),
                _ => client.PostAsync("/v2/apps", Http.Json(new { displayName = "beside " + i })),
            });

            // Before: 40P01 between the delete (app row, then the tenant's budget row) and a key create (tenant row, then
            // the app row it references).
            Assert.True(statuses.All(s => s is HttpStatusCode.OK or HttpStatusCode.Created or HttpStatusCode.NotFound),
                string.Join(",", statuses) + "\n" + ErrorLines());
            Assert.Equal(HttpStatusCode.OK, statuses[0]);
        }

        var apps = await service.QueryDbAsync(db => db.Apps.CountAsync(a => a.TenantId == new TenantId(tenant.Id)));
        Assert.Equal(apps, await CounterAsync("subtree_apps", tenant.Id));
    }
}
