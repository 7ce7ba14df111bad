using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Provisioning.Domain.Common;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Tenants;

/// <summary>Budgets over the subtree (API.md §12): maxApps and maxTenants count the whole subtree, and cannot be escaped.</summary>
[Collection(ServiceTestCollection.Name)]
public sealed class SubtreeBudgetTests(ServiceFixture service)
{
    /// <summary>A child of the root with the given budgets (set by the root, which may grant anything).</summary>
    private async Task<(ProvisionedTenant Tenant, HttpClient Client)> BudgetedChildAsync(object budgets)
    {
        using var root = service.Root();
        var child = await root.ProvisionAsync(name: "Budgeted " + Guid.NewGuid().ToString("N")[..6]);
        await root.PatchJsonAsync($"/v2/tenants/{child.Id}", budgets);
        return (child, service.Client(child));
    }

    private Task<int> AppsInSubtreeAsync(string tenantId) =>
        service.QueryDbAsync(db => db.Apps.CountAsync(a => db.Tenants.Any(t => t.Id == a.TenantId && t.Path.Contains(tenantId))));

    [Fact]
    public async Task AppCount_HoldsUnderParallelCreatesAndDeletes_InOneTenant()
    {
        // No budget: creates take no tenant lock, and each adds to a counter slot no other transaction holds.
        using var root = service.Root();
        var tenant = await root.ProvisionAsync(name: "Counted " + Guid.NewGuid().ToString("N")[..6]);
        using var client = service.Client(tenant);

        var ids = await Task.WhenAll(Enumerable.Range(0, 32).Select(i => client.CreateAppAsync("parallel " + i)));
        // The rows first, then the counters, so a failure says which of the two is off.
        Assert.Equal(32, await service.QueryDbAsync(db => db.Apps.CountAsync(a => a.TenantId == new TenantId(tenant.Id))));
        Assert.Equal(32, (int)(await client.GetJsonAsync("/v2/tenants/self"))["tenant"]!["appCount"]!);

        await Task.WhenAll(ids.Take(20).Select(id => client.DeleteJsonAsync($"/v2/apps/{id}")));
        Assert.Equal(12, (int)(await client.GetJsonAsync("/v2/tenants/self"))["tenant"]!["appCount"]!);

        var (slots, counted) = await service.QueryDbAsync(async db => (
            await db.Database.SqlQuery<int>($"SELECT count(*)::int AS \"Value\" FROM tenant_app_counts WHERE tenant_id = {tenant.Id}").SingleAsync(),
            await db.Database.SqlQuery<int>($"SELECT coalesce(sum(apps), 0)::int AS \"Value\" FROM tenant_app_counts WHERE tenant_id = {tenant.Id}").SingleAsync()));
        Assert.Equal(12, counted);
        Assert.InRange(slots, 1, 32); // at most one slot per create that ran at once
    }

    [Fact]
    public async Task AppsDeletedManyAtATime_AreCountedOncePerTenantAndStatement()
    {
        // The API deletes one app per transaction; a tenant's deletion (its apps go with it) or an operator's SQL deletes
        // many in one statement. The counters follow with one change per tenant and statement: one per app cost a large
        // deletion about half its time, and many apps of one tenant in one transaction the square of their number.
        using var root = service.Root();
        var first = await root.ProvisionAsync(name: "Bulk " + Guid.NewGuid().ToString("N")[..6]);
        var second = await root.ProvisionAsync(name: "Bulk " + Guid.NewGuid().ToString("N")[..6]);
        using var asFirst = service.Client(first);
        using var asSecond = service.Client(second);
        await asFirst.CreateAppAsync("through the API");

        await using (var connection = new Npgsql.NpgsqlConnection(service.ConnectionString))
        {
            await connection.OpenAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            async Task<int> ExecuteAsync(string sql, params string[] values)
            {
                await using var command = new Npgsql.NpgsqlCommand(sql, connection, transaction);
                command.Parameters.AddRange(values.Select(value => new Npgsql.NpgsqlParameter { Value = value }).ToArray());
                return Convert.ToInt32(await command.ExecuteScalarAsync());
            }

            // Rows of tenant_app_counts this transaction inserted or updated so far (its own statistics, not yet flushed).
            Task<int> CounterChangesAsync() => ExecuteAsync(
                "SELECT (n_tup_ins + n_tup_upd)::int FROM pg_stat_xact_user_tables WHERE relname = 'tenant_app_counts'");

            await ExecuteAsync(Sql.InsertAppsSql("VALUES ($1), ($2)", 300), first.Id, second.Id);
            var before = await CounterChangesAsync(); // inserts are counted per row (the API's one app a transaction)
            await ExecuteAsync("DELETE FROM apps WHERE tenant_id IN ($1, $2) AND display_name ~ '^bulk ([1-9][0-9]?|100)$'", first.Id, second.Id);
            Assert.Equal(before + 2, await CounterChangesAsync()); // one slot of each tenant
            await transaction.CommitAsync();
        }

        Assert.Equal(201, (int)(await asFirst.GetJsonAsync("/v2/tenants/self"))["tenant"]!["appCount"]!);
        Assert.Equal(200, (int)(await asSecond.GetJsonAsync("/v2/tenants/self"))["tenant"]!["appCount"]!);

        // A tenant's deletion takes its apps and its counters in one statement; what is left counts on.
        await root.DeleteJsonAsync($"/v2/tenants/{second.Id}");
        Assert.Equal(0, await Sql.CountAsync(service.ConnectionString, "SELECT count(*) FROM tenant_app_counts WHERE tenant_id = $1", second.Id));
        await asFirst.CreateAppAsync("after the other's deletion");
        Assert.Equal(202, (int)(await asFirst.GetJsonAsync("/v2/tenants/self"))["tenant"]!["appCount"]!);
    }

    [Fact]
    public async Task APlanLimit_CannotBeEscapedThroughAGrandchild()
    {
        var (child, asChild) = await BudgetedChildAsync(new { maxApps = 1 });
        await asChild.CreateAppAsync("the one");
        var before = service.Factory.Logs.Lines.Count;
        var own = await asChild.PostJsonAsync("/v2/apps", new { displayName = "two" }, HttpStatusCode.PaymentRequired);
        Http.AssertV2Error(own, "payment_required");
        Assert.Contains("This tenant has reached its budget of 1 apps", Http.Titles(own));

        // The refusal is raised by PostgreSQL (budget_reserve) and arrives as a failed save: an expected answer, not a fault.
        var logged = service.Factory.Logs.Lines.Skip(before).ToList();
        Assert.DoesNotContain(logged, l => l.StartsWith("Error", StringComparison.Ordinal) || l.Contains("PX402", StringComparison.Ordinal));

        // The escape that used to work: a grandchild, apps created there on its behalf, and a generous budget for it.
        var grandchild = await asChild.ProvisionAsync(name: "Escape");
        using (var onBehalf = new HttpRequestMessage(HttpMethod.Post, "/v2/apps") { Content = Http.Json(new { displayName = "escaped" }) })
        {
            onBehalf.Headers.Add("On-Behalf-Of", grandchild.Id);
            using var response = await asChild.SendAsync(onBehalf);
            Assert.Equal(HttpStatusCode.PaymentRequired, response.StatusCode);
        }

        using var asGrandchild = service.Client(grandchild);
        var ancestors = await asGrandchild.PostJsonAsync("/v2/apps", new { displayName = "escaped" }, HttpStatusCode.PaymentRequired);
        Http.AssertV2Error(ancestors, "payment_required");
        // An ancestor's budget is not told to a tenant that cannot read that ancestor (it said "its budget of 1 apps"; a probe).
        Assert.Contains("An ancestor tenant has reached its app budget", Http.Titles(ancestors));
        Assert.DoesNotContain("budget of", Http.Titles(ancestors));
        Assert.Contains("maxApps", Http.Titles(await asChild.PatchJsonAsync($"/v2/tenants/{grandchild.Id}", new { maxApps = 1000 }, HttpStatusCode.BadRequest)));
        Assert.Contains("contacts", Http.Titles(await asChild.PatchJsonAsync($"/v2/tenants/{grandchild.Id}", new { contacts = 1_000_000_000 }, HttpStatusCode.BadRequest)));
        Assert.Equal(1, await AppsInSubtreeAsync(child.Id));

        // Within the child's own: fine.
        await asChild.PatchJsonAsync($"/v2/tenants/{grandchild.Id}", new { maxApps = 1, contacts = 10 });
    }

    [Fact]
    public async Task ProvisioningUnderATenant_GrantsAtMostItsOwnContacts_AndDefaultsToThem()
    {
        var (_, asChild) = await BudgetedChildAsync(new { contacts = 500 });
        var key = await asChild.CreateProvisioningKeyAsync();

        // API.md's example body asks for 10000: more than the child has, so 400 naming contacts, and nothing made.
        var greedy = await asChild.PostJsonAsync("/v2/tenants", new { name = "greedy", key, contacts = 10000 }, HttpStatusCode.BadRequest);
        Assert.Contains("contacts cannot be larger than your own tenant's (500)", Http.Titles(greedy));
        Assert.Empty((await asChild.GetJsonAsync("/v2/tenants"))["tenants"]!.AsArray());

        // Without contacts, the grandchild gets the child's 500 (not the 10000 a root's child would); 500 itself is fine.
        var defaulted = await asChild.ProvisionAsync(name: "defaulted");
        Assert.Equal(500, (int?)(await asChild.GetJsonAsync($"/v2/tenants/{defaulted.Id}"))["tenant"]!["contacts"]);
        var exact = await asChild.ProvisionAsync(new { contacts = 500 }, name: "exact");
        Assert.Equal(500, (int?)(await asChild.GetJsonAsync($"/v2/tenants/{exact.Id}"))["tenant"]!["contacts"]);
    }

    [Fact]
    public async Task LoweringATenantsLimits_TakesNothingBackFromItsDescendants_ButBoundsNewGrantsAndTheSubtreesApps()
    {
        // docs/provisioning.md: what was granted stays (a reseller's customers keep their plans); the ceiling is for grants
        // made from then on, and a lowered maxApps bounds the whole subtree at once.
        using var root = service.Root();
        var (reseller, asReseller) = await BudgetedChildAsync(new { contacts = 9000, maxApps = 8 });
        var customer = await asReseller.ProvisionAsync(new { contacts = 9000 }, name: "customer");
        await asReseller.PatchJsonAsync($"/v2/tenants/{customer.Id}", new { maxApps = 8 });

        await root.PatchJsonAsync($"/v2/tenants/{reseller.Id}", new { contacts = 5, maxApps = 2 });

        var kept = (await asReseller.GetJsonAsync($"/v2/tenants/{customer.Id}"))["tenant"]!;
        Assert.Equal(9000, (int?)kept["contacts"]);
        Assert.Equal(8, (int?)kept["maxApps"]);
        Assert.Contains("contacts cannot be larger than your own tenant's (5)",
            Http.Titles(await asReseller.PatchJsonAsync($"/v2/tenants/{customer.Id}", new { contacts = 9001 }, HttpStatusCode.BadRequest)));
        Assert.Contains("maxApps cannot be larger than your own tenant's (2)",
            Http.Titles(await asReseller.PatchJsonAsync($"/v2/tenants/{customer.Id}", new { maxApps = 3 }, HttpStatusCode.BadRequest)));
        // What it has, sent back with another change (a client writing back every field it read), grants nothing: the
        // rename lands (it was a 400 for the unchanged contacts).
        var renamed = (await asReseller.PatchJsonAsync($"/v2/tenants/{customer.Id}", new { name = "customer2", contacts = 9000, maxApps = 8 }))["tenant"]!;
        Assert.Equal(("customer2", 9000, 8), ((string?)renamed["name"], (int?)renamed["contacts"], (int?)renamed["maxApps"]));

        // The customer grants within what it was granted; its subtree's apps stop at the reseller's 2.
        using var asCustomer = service.Client(customer);
        var subCustomer = await asCustomer.ProvisionAsync(new { contacts = 9000 }, name: "sub-customer");
        Assert.Equal(9000, (int?)(await asCustomer.GetJsonAsync($"/v2/tenants/{subCustomer.Id}"))["tenant"]!["contacts"]);
        using var asSubCustomer = service.Client(subCustomer);
        await asSubCustomer.CreateAppAsync("one");
        await asCustomer.CreateAppAsync("two");
        Http.AssertV2Error(await asSubCustomer.PostJsonAsync("/v2/apps", new { displayName = "three" }, HttpStatusCode.PaymentRequired), "payment_required");
        Assert.Equal(2, await AppsInSubtreeAsync(reseller.Id));

        // Taking a grant back is a change of the descendant itself, by any ancestor.
        await root.PatchJsonAsync($"/v2/tenants/{subCustomer.Id}", new { contacts = 5 });
        Assert.Equal(5, (int?)(await asCustomer.GetJsonAsync($"/v2/tenants/{subCustomer.Id}"))["tenant"]!["contacts"]);
    }

    [Fact]
    public async Task MaxTenants_CountsEveryDescendant()
    {
        var (_, asChild) = await BudgetedChildAsync(new { maxTenants = 2 });
        var first = await asChild.ProvisionAsync(name: "one");
        using var asFirst = service.Client(first);
        await asFirst.ProvisionAsync(name: "grand");

        // Two descendants exist: neither the child nor its child may make a third.
        var key = await asChild.CreateProvisioningKeyAsync();
        var own = await asChild.PostJsonAsync("/v2/tenants", new { name = "three", key }, HttpStatusCode.PaymentRequired);
        Http.AssertV2Error(own, "payment_required");
        Assert.Contains("This tenant has reached its budget of 2 descendant tenants", Http.Titles(own));
        var firstKey = await asFirst.CreateProvisioningKeyAsync();
        var ancestors = await asFirst.PostJsonAsync("/v2/tenants", new { name = "three", key = firstKey }, HttpStatusCode.PaymentRequired);
        Http.AssertV2Error(ancestors, "payment_required");
        Assert.Contains("An ancestor tenant has reached its budget of descendant tenants", Http.Titles(ancestors));
        Assert.DoesNotContain("2", Http.Titles(ancestors));

        var self = (await asChild.GetJsonAsync("/v2/tenants/self"))["tenant"]!;
        Assert.Equal(2, (int?)self["maxTenants"]);

        // Deleting a descendant (with its own child) gives both places back.
        await asChild.DeleteJsonAsync($"/v2/tenants/{first.Id}");
        await asChild.ProvisionAsync(name: "again 1");
        await asChild.ProvisionAsync(name: "again 2");
        Http.AssertV2Error(await asChild.PostJsonAsync("/v2/tenants", new { name = "three", key }, HttpStatusCode.PaymentRequired), "payment_required");
    }

    [Fact]
    public async Task ABudgetSetLater_CountsWhatTheSubtreeAlreadyHolds_AndDeletesGiveBack()
    {
        using var root = service.Root();
        var child = await root.ProvisionAsync(name: "Later");
        using var asChild = service.Client(child);
        var grandchild = await asChild.ProvisionAsync(name: "Later grand");
        using var asGrandchild = service.Client(grandchild);
        await asChild.CreateAppAsync("c1");
        var g1 = await asGrandchild.CreateAppAsync("g1");
        await asGrandchild.CreateAppAsync("g2");

        await root.PatchJsonAsync($"/v2/tenants/{child.Id}", new { maxApps = 4 });
        await asGrandchild.CreateAppAsync("g3");
        Http.AssertV2Error(await asChild.PostJsonAsync("/v2/apps", new { displayName = "c2" }, HttpStatusCode.PaymentRequired), "payment_required");

        // appCount is the tenant's own apps, from counters.
        Assert.Equal(3, (int)(await asGrandchild.GetJsonAsync("/v2/tenants/self"))["tenant"]!["appCount"]!);
        await asGrandchild.DeleteJsonAsync($"/v2/apps/{g1}");
        Assert.Equal(2, (int)(await asGrandchild.GetJsonAsync("/v2/tenants/self"))["tenant"]!["appCount"]!);
        await asChild.CreateAppAsync("c2");

        // Deleting the grandchild with its two apps gives two places back to the child's budget.
        await asChild.DeleteJsonAsync($"/v2/tenants/{grandchild.Id}");
        await asChild.CreateAppAsync("c3");
        await asChild.CreateAppAsync("c4");
        Http.AssertV2Error(await asChild.PostJsonAsync("/v2/apps", new { displayName = "c5" }, HttpStatusCode.PaymentRequired), "payment_required");
        Assert.Equal(4, await AppsInSubtreeAsync(child.Id));

        // Lifting the budget lifts the limit.
        await root.PatchJsonAsync($"/v2/tenants/{child.Id}", new { maxApps = (int?)null });
        await asChild.CreateAppAsync("c5");
    }

    [Fact]
    public async Task TheBudgetHoldsExactly_Under60ParallelCreatesSpreadOverTheSubtree_WithMixedCredentials()
    {
        const int budget = 7;
        var (child, asChild) = await BudgetedChildAsync(new { maxApps = budget });
        var g1 = await asChild.ProvisionAsync(name: "G1");
        var g2 = await asChild.ProvisionAsync(name: "G2");
        using var asG1 = service.Client(g1);
        var sa = await asChild.CreateServiceAccountAsync("racer");
        var g1Sa = await asG1.CreateServiceAccountAsync("g1 racer");
        var senders = new Func<HttpRequestMessage, HttpClient>[]
        {
            _ => service.Client(child),
            _ => service.Client(g1),
            _ => service.Client(g2),
            r => { r.Headers.Add("On-Behalf-Of", g2.Id); return service.Client(child); },
            r => { r.Headers.Add("On-Behalf-Of", g1.Id); return service.Client(child); },
            _ => service.Basic(sa.Key),
            _ => service.WithBearer(Jwt.ForKey(g1Sa.Key.Id, g1Sa.Key.Secret)),
        };

        using var start = new SemaphoreSlim(0);
        var requests = Enumerable.Range(0, 60).Select(async i =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, i % 2 == 0 ? "/v2/apps" : "/v1.1/apps")
            {
                Content = Http.Json(i % 2 == 0 ? new { displayName = $"r{i}" } : (object)new { name = $"r{i}" }),
            };
            using var client = senders[i % senders.Length](request);
            await start.WaitAsync();
            using var response = await client.SendAsync(request);
            return response.StatusCode;
        }).ToList();
        start.Release(60);
        var statuses = await Task.WhenAll(requests);

        Assert.Equal(budget, statuses.Count(s => s == HttpStatusCode.Created));
        Assert.Equal(60 - budget, statuses.Count(s => s == HttpStatusCode.PaymentRequired));
        Assert.Equal(budget, await AppsInSubtreeAsync(child.Id));
    }

    [Fact]
    public async Task TenantsCarryTheirBudgets_InTheListAndTheView()
    {
        var (child, _) = await BudgetedChildAsync(new { maxApps = 3, maxTenants = 4 });
        using var root = service.Root();
        var view = (await root.GetJsonAsync($"/v2/tenants/{child.Id}"))["tenant"]!;
        Assert.Equal(3, (int?)view["maxApps"]);
        Assert.Equal(4, (int?)view["maxTenants"]);
        var listed = (await root.GetJsonAsync("/v2/tenants?page[size]=100"))["tenants"]!.AsArray();
        var all = listed;
        var page = await root.GetJsonAsync("/v2/tenants?page[size]=100");
        while ((string?)page["links"]!["next"] is { } next)
        {
            page = await root.GetJsonAsync(new Uri(next).PathAndQuery);
            all = new JsonArray([.. all.Select(n => n!.DeepClone()), .. page["tenants"]!.AsArray().Select(n => n!.DeepClone())]);
        }

        Assert.Equal(4, (int?)all.Single(t => (string?)t!["id"] == child.Id)!["maxTenants"]);
        Assert.Contains("maxTenants", Http.Titles(await root.PatchJsonAsync($"/v2/tenants/{child.Id}", new { maxTenants = -1 }, HttpStatusCode.BadRequest)));
    }
}
