using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Provisioning.Domain.Common;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Lifecycle;

/// <summary>Suspending a tenant (API.md §12): its whole subtree is refused with 403 tenant_suspended, its ancestors keep control, resume restores all.</summary>
[Collection(ServiceTestCollection.Name)]
public sealed class SuspendTests(ServiceFixture service)
{
    private static async Task<HttpStatusCode> StatusOfAsync(HttpClient client, string path, string? code = null)
    {
        using var response = await client.GetAsync(path);
        if (code is not null)
        {
            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            var actual = (string?)(path.StartsWith("/v1.1", StringComparison.Ordinal) ? body["error"]?["code"] : body["errors"]?[0]?["code"]);
            Assert.Equal(code, actual);
        }

        return response.StatusCode;
    }

    [Fact]
    public async Task ASuspendedTenantAndItsDescendants_Are403OnEveryRouteAndCredential_UntilResumed()
    {
        using var root = service.Root();
        var child = await root.ProvisionAsync(name: "To suspend");
        using var asChild = service.Client(child);
        var grandchild = await asChild.ProvisionAsync(name: "Below it");
        var sa = await asChild.CreateServiceAccountAsync();
        var appId = await asChild.CreateAppAsync("kept");
        var appKey = await asChild.CreateAppKeyAsync(appId);
        var credentials = new (string Name, HttpClient Client, string Path)[]
        {
            ("token as Bearer", service.Client(child), "/v2/apps"),
            ("token as Basic", service.WithBasic("api", child.Token), "/v2/tenants/self"),
            ("grandchild token", service.Client(grandchild), "/v2/apps"),
            ("svc key", service.Basic(sa.Key), "/v2/apps"),
            ("svc JWT", service.WithBearer(Jwt.ForKey(sa.Key.Id, sa.Key.Secret)), "/v2/apps"),
            ("app key", service.Basic(appKey), $"/v2/apps/{appId}"),
            ("v1.1 token", service.Client(child), "/v1.1/apps"),
        };
        foreach (var (name, client, path) in credentials)
        {
            Assert.True(HttpStatusCode.OK == await StatusOfAsync(client, path), $"{name} before the suspension");
        }

        var suspended = (await root.PatchJsonAsync($"/v2/tenants/{child.Id}", new { status = "suspended" }))["tenant"]!;
        Assert.Equal("suspended", (string?)suspended["status"]);

        var logsBefore = service.Factory.Logs.Lines.Count;
        foreach (var (name, client, path) in credentials)
        {
            Assert.True(HttpStatusCode.Forbidden == await StatusOfAsync(client, path, "tenant_suspended"), $"{name} while suspended");
            Assert.True(HttpStatusCode.Forbidden == await StatusOfAsync(client, path, "tenant_suspended"), $"{name} while suspended, sent again");
        }

        // The public pages too (API.md §12: every route), though they need no credentials; unknown ones pass there as none.
        Assert.Equal(HttpStatusCode.Forbidden, await StatusOfAsync(credentials[0].Client, "/openapi/v1.json", "tenant_suspended"));
        Assert.Equal(HttpStatusCode.Forbidden, await StatusOfAsync(credentials[0].Client, "/docs", "tenant_suspended"));
        using (var unknown = service.WithBasic("act_" + new string('0', 24), "not-a-secret"))
        {
            Assert.Equal(HttpStatusCode.OK, await StatusOfAsync(unknown, "/openapi/v1.json"));
            Assert.Equal(HttpStatusCode.OK, await StatusOfAsync(unknown, "/docs"));
        }

        // An expected refusal, logged as one: no line at Error (JwtBearer logged each JWT's as an error with a stack trace).
        Assert.DoesNotContain(service.Factory.Logs.Lines.Skip(logsBefore), l => l.StartsWith("Error", StringComparison.Ordinal));

        // The ancestor keeps full control, but nothing is provisioned under the suspended tenant, not even on its behalf.
        Assert.Equal("To suspend", (string?)(await root.GetJsonAsync($"/v2/tenants/{child.Id}"))["tenant"]!["name"]);
        await root.PatchJsonAsync($"/v2/tenants/{child.Id}", new { name = "Suspended, renamed" });
        using (var create = new HttpRequestMessage(HttpMethod.Post, "/v2/apps") { Content = Http.Json(new { displayName = "no" }) })
        {
            create.Headers.Add("On-Behalf-Of", grandchild.Id);
            using var response = await root.SendAsync(create);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Http.AssertV2Error(JsonNode.Parse(await response.Content.ReadAsStringAsync())!, "tenant_suspended");
        }

        // No tenant is provisioned under it either: with a provisioning key the root made for it, acting on its behalf.
        var childKey = await OnBehalfOfAsync(root, child.Id, HttpMethod.Post, "/v2/provisioningkeys", new { displayName = "for a grandchild" }, HttpStatusCode.Created);
        var refused = await OnBehalfOfAsync(root, child.Id, HttpMethod.Post, "/v2/tenants",
            new { name = "Under a suspended tenant", key = (string)childKey["provisioningKey"]!["secret"]! }, HttpStatusCode.Forbidden);
        Http.AssertV2Error(refused, "tenant_suspended");
        Assert.Equal(1, await service.QueryDbAsync(db => db.Tenants.CountAsync(t => t.ParentId == new TenantId(child.Id))));

        Assert.Equal(1, await service.QueryDbAsync(db => db.Apps.CountAsync(a => a.TenantId == new TenantId(child.Id))));

        // A token for a key of the suspended tenant is issued (the key itself is sound, unlike a disabled or expired one's:
        // docs/authentication.md) and answers 403 as the key does, until the tenant is resumed.
        string issued;
        using (var jwt = new HttpRequestMessage(HttpMethod.Get, $"/v2/serviceaccounts/{sa.Id}/keys/{sa.Key.Id}/jwt"))
        {
            jwt.Headers.Add("On-Behalf-Of", child.Id);
            using var response = await root.SendAsync(jwt);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            issued = (string)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["jwt"]!;
        }

        using var withIssued = service.WithBearer(issued);
        Assert.Equal(HttpStatusCode.Forbidden, await StatusOfAsync(withIssued, "/v2/apps", "tenant_suspended"));

        // Resume: every credential works again; nothing was lost.
        Assert.Equal("active", (string?)(await root.PatchJsonAsync($"/v2/tenants/{child.Id}", new { status = "active" }))["tenant"]!["status"]);
        Assert.Equal(HttpStatusCode.OK, await StatusOfAsync(withIssued, "/v2/apps"));
        foreach (var (name, client, path) in credentials)
        {
            Assert.True(HttpStatusCode.OK == await StatusOfAsync(client, path), $"{name} after resuming");
            client.Dispose();
        }
    }

    private static async Task<JsonNode> OnBehalfOfAsync(HttpClient client, string tenantId, HttpMethod method, string url, object body, HttpStatusCode expected)
    {
        using var request = new HttpRequestMessage(method, url) { Content = Http.Json(body) };
        request.Headers.Add("On-Behalf-Of", tenantId);
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"{method} {url}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }

    [Theory]
    [InlineData("app, under a budget")]
    [InlineData("child tenant, no budget")]
    public async Task ACreateInFlightWhileItsTenantIsSuspended_IsRefused_NotCommittedAfterTheSuspension(string what)
    {
        // Before: a create checked the status first and then waited for a row the suspension held (a budget row, or the
        // tenant's row its foreign key reads), so it committed after the suspension had: 201 in a suspended tenant.
        using var root = service.Root();
        var child = await root.ProvisionAsync(name: "Suspended mid-create");
        var app = what.StartsWith("app", StringComparison.Ordinal);
        if (app)
        {
            await root.PatchJsonAsync($"/v2/tenants/{child.Id}", new { maxApps = 10 });
        }

        using var asChild = service.Client(child);
        var provisioningKey = app ? null : await asChild.CreateProvisioningKeyAsync();
        await using var held = await HeldRow.LockAsync(service.ConnectionString, "tenants", child.Id);
        var suspending = root.PatchJsonAsync($"/v2/tenants/{child.Id}", new { status = "suspended" });
        await held.UntilWaitingAsync(1);
        var creating = app
            ? asChild.PostJsonAsync("/v2/apps", new { displayName = "in flight" }, HttpStatusCode.Forbidden)
            : asChild.PostJsonAsync("/v2/tenants", new { name = "in flight", key = provisioningKey }, HttpStatusCode.Forbidden);
        await held.UntilWaitingAsync(2);
        await held.ReleaseAsync();

        await suspending;
        Assert.Equal("tenant_suspended", (string?)(await creating)["errors"]![0]!["code"]);
        var childId = new TenantId(child.Id);
        Assert.False(await service.QueryDbAsync(db => db.Apps.AnyAsync(a => a.TenantId == childId)));
        Assert.Equal(1, await service.QueryDbAsync(db => db.Tenants.CountAsync(t => t.Path.Contains(child.Id))));
    }

    /// <summary>
    /// A deletion of <paramref name="tenant"/> by <paramref name="ancestor"/>, held in flight: it has taken the budgets'
    /// locks and waits for its app's row, which the returned hold keeps locked until released.
    /// </summary>
    private async Task<(HeldRow Hold, Task<JsonNode> Deleting)> DeletionInFlightAsync(HttpClient ancestor, ProvisionedTenant tenant)
    {
        using var asTenant = service.Client(tenant);
        var app = await asTenant.CreateAppAsync("held by the deletion's test");
        var hold = await HeldRow.LockAsync(service.ConnectionString, "apps", app);
        var deleting = ancestor.DeleteJsonAsync($"/v2/tenants/{tenant.Id}");
        await hold.UntilWaitingAsync(1);
        return (hold, deleting);
    }

    [Fact]
    public async Task ASuspensionOrBudgetChange_DoesNotWaitForADeletionInAnotherSubtree()
    {
        // The budgets' lock was one for all tenants: a suspension or budget change waited for every deletion in flight,
        // anywhere (a large customer's runs for seconds), and held every create off meanwhile, then answered 503. Now it
        // waits for its own subtree's. On an instance whose statements never time out by themselves.
        await using var patient = new ConfiguredServiceFactory(service.ConnectionString + ";Command Timeout=0", ServiceFixture.RootKeySettings(rateLimited: false));
        using var root = await patient.CreateRootClientAsync();
        var changed = await root.ProvisionAsync(name: "Changed beside a deletion");
        var (deletion, deleting) = await DeletionInFlightAsync(root, await root.ProvisionAsync(name: "Another customer, being deleted"));
        await using (deletion)
        {
            var tenant = (await root.PatchJsonAsync($"/v2/tenants/{changed.Id}", new { status = "suspended", maxApps = 3 }))["tenant"]!;
            Assert.Equal(("suspended", 3), ((string?)tenant["status"], (int?)tenant["maxApps"]));
            await root.PatchJsonAsync($"/v2/tenants/{changed.Id}", new { status = "active" });
            using var asChanged = service.Client(changed);
            await asChanged.CreateAppAsync("while another customer is deleted");
            Assert.False(deleting.IsCompleted);
            await deletion.ReleaseAsync();
        }

        await deleting;
    }

    [Fact]
    public async Task ASuspensionWaitingBehindALongDeletionInItsSubtree_GivesUpSoon_AndCreatesElsewhereGoOn()
    {
        // A suspension waits for the creates and deletions in flight in its subtree, and PostgreSQL queues the subtree's new
        // creates behind it. Behind a deletion that runs for seconds it gives up after a bounded wait and answers 503,
        // even on an instance whose statements never time out by themselves.
        var logs = new CollectingLoggerProvider();
        await using var patient = new ConfiguredServiceFactory(service.ConnectionString + ";Command Timeout=0", ServiceFixture.RootKeySettings(rateLimited: false),
            services: s => Microsoft.Extensions.DependencyInjection.ServiceCollectionServiceExtensions.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(s, logs));
        using var root = await patient.CreateRootClientAsync();
        var suspended = await root.ProvisionAsync(name: "To suspend");
        using var asSuspended = service.Client(suspended);
        var (deletion, deleting) = await DeletionInFlightAsync(asSuspended, await asSuspended.ProvisionAsync(name: "Being deleted below"));
        await using (deletion)
        {
            var answer = await root.PatchJsonAsync($"/v2/tenants/{suspended.Id}", new { status = "suspended" }, HttpStatusCode.ServiceUnavailable)
                .WaitAsync(TimeSpan.FromSeconds(60)); // without the bound: as long as the deletion
            Assert.Equal("service_unavailable", (string?)answer["errors"]![0]!["code"]);
            // Said as what it is (it was a database fault's generic 503, and an Error line with a stack trace for "canceling
            // statement due to lock timeout"): for the client, and for the operator with the session it waited for.
            Assert.StartsWith("Creates or deletions under way in this tenant's subtree did not finish within 2 s", (string?)answer["errors"]![0]!["title"]);
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!logs.Lines.Any(l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains("gave up waiting for the database", StringComparison.Ordinal))
                   && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }

            Assert.Contains(logs.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains("gave up waiting for the database", StringComparison.Ordinal));
            Assert.DoesNotContain(logs.Lines, l => l.StartsWith("Error", StringComparison.Ordinal));
            Assert.Equal("active", (string?)(await root.GetJsonAsync($"/v2/tenants/{suspended.Id}"))["tenant"]!["status"]);

            // The deletion still runs: creates go on, in the subtree too, and once it is over the suspension goes through.
            using var inOtherTenant = service.Client(await root.ProvisionAsync(name: "Another"));
            await inOtherTenant.PostJsonAsync("/v2/apps", new { displayName = "while a deletion runs" }, HttpStatusCode.Created);
            await asSuspended.PostJsonAsync("/v2/apps", new { displayName = "while a deletion runs below" }, HttpStatusCode.Created);
            await deletion.ReleaseAsync();
        }

        await deleting;
        await root.PatchJsonAsync($"/v2/tenants/{suspended.Id}", new { status = "suspended" });
    }

    [Fact]
    public async Task AnAncestorDeletesASuspendedTenant_AndItsCredentialsStayOut()
    {
        using var root = service.Root();
        var child = await root.ProvisionAsync(name: "Suspended, then deleted");
        using var asChild = service.Client(child);
        await root.PatchJsonAsync($"/v2/tenants/{child.Id}", new { status = "suspended" });
        await root.DeleteJsonAsync($"/v2/tenants/{child.Id}");
        await root.GetJsonAsync($"/v2/tenants/{child.Id}", HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.Unauthorized, (await asChild.GetAsync("/v2/apps")).StatusCode);
        Assert.Equal(0, await service.QueryDbAsync(db => db.Tenants.CountAsync(t => t.Id == new TenantId(child.Id))));
    }

    [Fact]
    public async Task OnlyAStrictAncestorSuspends_AndTheStatusMustBeKnown()
    {
        using var root = service.Root();
        var child = await root.ProvisionAsync(name: "Self-suspender");
        using var asChild = service.Client(child);
        var grandchild = await asChild.ProvisionAsync(name: "Grand");
        using var asGrandchild = service.Client(grandchild);

        Http.AssertV2Error(await asChild.PatchJsonAsync("/v2/tenants/self", new { status = "suspended" }, HttpStatusCode.Forbidden), "forbidden");
        Http.AssertV2Error(await asChild.PatchJsonAsync("/v2/tenants/self", new { status = "paused" }, HttpStatusCode.Forbidden), "forbidden"); // who before what
        Http.AssertV2Error(await asChild.PatchJsonAsync($"/v2/tenants/{child.Id}", new { status = "suspended" }, HttpStatusCode.Forbidden), "forbidden");
        // An ancestor is not visible: 404 as if it did not exist, with a status or without (a 403 would confirm the id).
        Http.AssertV2Error(await asGrandchild.PatchJsonAsync($"/v2/tenants/{child.Id}", new { status = "suspended" }, HttpStatusCode.NotFound), "not_found");
        Http.AssertV2Error(await asGrandchild.PatchJsonAsync($"/v2/tenants/{child.Id}", new { name = "Mine now" }, HttpStatusCode.NotFound), "not_found");
        // Acting in its own child (On-Behalf-Of), the child sees that subtree only: its own tenant is 404 there as well.
        Http.AssertV2Error(await OnBehalfOfAsync(asChild, grandchild.Id, HttpMethod.Patch, $"/v2/tenants/{child.Id}", new { status = "suspended" }, HttpStatusCode.NotFound), "not_found");
        Assert.Contains("status", Http.Titles(await asChild.PatchJsonAsync($"/v2/tenants/{grandchild.Id}", new { status = "paused" }, HttpStatusCode.BadRequest)));

        // The child may suspend its own child, and an account acting on behalf of the child may too.
        await asChild.PatchJsonAsync($"/v2/tenants/{grandchild.Id}", new { status = "suspended" });
        Assert.Equal(HttpStatusCode.Forbidden, (await asGrandchild.GetAsync("/v2/apps")).StatusCode);
        await asChild.PatchJsonAsync($"/v2/tenants/{grandchild.Id}", new { status = "active" });
        Assert.Equal(HttpStatusCode.OK, (await asGrandchild.GetAsync("/v2/apps")).StatusCode);
    }

    [Fact]
    public async Task ASuspensionIsHeldByTheHighestTenantThatSentIt_AndOnlyThatTenantOrOneAboveItResumes()
    {
        // A vendor (f1) above a reseller (f2) above a customer (f3): the reseller could lift the vendor's suspension (a tree probe).
        using var chain = await ChainAsync();
        var (root, asF1, asF2, f1, f2, f3) = (chain.Root, chain.AsVendor, chain.AsReseller, chain.Vendor, chain.Reseller, chain.Customer);
        using var asF3 = service.Client(f3);
        var path = $"/v2/tenants/{f3.Id}";
        Task<string?> HolderAsync() => HolderOfAsync(f3.Id);
        async Task<string[]> SuspendersAsync() => [.. (await root.GetJsonAsync($"/v2/events?filter[resourceId]={f3.Id}&filter[type]=tenant.suspended"))["events"]!
            .AsArray().Select(e => (string)e!["actor"]!["tenantId"]!).Reverse()];

        await asF1.PatchJsonAsync(path, new { status = "suspended" });
        Assert.Equal(f1.Id, await HolderAsync());
        var refused = await asF2.PatchJsonAsync(path, new { status = "active", name = "Lifted" }, HttpStatusCode.Forbidden);
        Http.AssertV2Error(refused, "forbidden");
        Assert.Contains("suspended by a tenant above yours", Http.Titles(refused));
        Assert.Equal(HttpStatusCode.Forbidden, await StatusOfAsync(asF3, "/v2/apps", "tenant_suspended"));
        Assert.Equal("Customer", (string?)(await asF2.GetJsonAsync(path))["tenant"]!["name"]); // nothing of the request was applied

        // Sent again from below, the suspension stays the vendor's: no event, no change.
        await asF2.PatchJsonAsync(path, new { status = "suspended" });
        Assert.Equal(f1.Id, await HolderAsync());
        Assert.Equal([f1.Id], await SuspendersAsync());

        // The vendor resumes; the reseller's own suspension is then its own to lift.
        await asF1.PatchJsonAsync(path, new { status = "active" });
        Assert.Null(await HolderAsync());
        Assert.Equal(HttpStatusCode.OK, await StatusOfAsync(asF3, "/v2/apps"));
        await asF2.PatchJsonAsync(path, new { status = "suspended" });
        Assert.Equal(f2.Id, await HolderAsync());

        // Sent from above the holder, it moves up (an event says who holds it now), and the reseller can no longer lift it;
        // the root, above the vendor, can.
        await asF1.PatchJsonAsync(path, new { status = "suspended" });
        Assert.Equal(f1.Id, await HolderAsync());
        Assert.Equal([f1.Id, f2.Id, f1.Id], await SuspendersAsync());
        Http.AssertV2Error(await asF2.PatchJsonAsync(path, new { status = "active" }, HttpStatusCode.Forbidden), "forbidden");
        await root.PatchJsonAsync(path, new { status = "active" });
        Assert.Equal(HttpStatusCode.OK, await StatusOfAsync(asF3, "/v2/apps"));

        // Acting in the reseller (On-Behalf-Of), the root's suspension is still the root's: the caller's own tenant holds it.
        await OnBehalfOfAsync(root, f2.Id, HttpMethod.Patch, path, new { status = "suspended" }, HttpStatusCode.OK);
        Assert.Equal((string?)(await root.GetJsonAsync("/v2/tenants/self"))["tenant"]!["id"], await HolderAsync());
        Http.AssertV2Error(await asF1.PatchJsonAsync(path, new { status = "active" }, HttpStatusCode.Forbidden), "forbidden");
        var resumed = await OnBehalfOfAsync(root, f2.Id, HttpMethod.Patch, path, new { status = "active" }, HttpStatusCode.OK);
        Assert.Equal("active", (string?)resumed["tenant"]!["status"]);
        Assert.Null(await HolderAsync());

        // A suspension an older build made is held by none: any strict ancestor resumes it, and the first to send it again
        // holds it.
        Task ForgetTheHolderAsync() => service.QueryDbAsync(db => db.Database.ExecuteSqlAsync($"UPDATE tenants SET suspended_by = NULL WHERE id = {f3.Id}"));
        await asF1.PatchJsonAsync(path, new { status = "suspended" });
        await ForgetTheHolderAsync();
        await asF2.PatchJsonAsync(path, new { status = "active" });
        await asF1.PatchJsonAsync(path, new { status = "suspended" });
        await ForgetTheHolderAsync();
        await asF2.PatchJsonAsync(path, new { status = "suspended" });
        Assert.Equal(f2.Id, await HolderAsync());
    }

    [Fact]
    public async Task ASuspensionFromAboveRacedWithAResumptionFromBelow_EndsSuspendedByTheOneAbove_InEitherOrder()
    {
        // Whichever runs first, the vendor's suspension holds: the reseller's resumption either ran before it (200) or was
        // refused after it (403). Read and changed without the row's lock, the resumption could undo it.
        using var chain = await ChainAsync();
        var (root, asF1, asF2, f1, f2, f3) = (chain.Root, chain.AsVendor, chain.AsReseller, chain.Vendor, chain.Reseller, chain.Customer);
        var path = $"/v2/tenants/{f3.Id}";
        for (var round = 0; round < 12; round++)
        {
            await root.PatchJsonAsync(path, new { status = "active" });
            await asF2.PatchJsonAsync(path, new { status = "suspended" });
            using var suspend = new HttpRequestMessage(HttpMethod.Patch, path) { Content = Http.Json(new { status = "suspended" }) };
            using var resume = new HttpRequestMessage(HttpMethod.Patch, path) { Content = Http.Json(new { status = "active" }) };
            var suspended = asF1.SendAsync(suspend);
            var resumed = asF2.SendAsync(resume);
            using var s = await suspended;
            using var r = await resumed;
            Assert.Equal(HttpStatusCode.OK, s.StatusCode);
            Assert.True(r.StatusCode is HttpStatusCode.OK or HttpStatusCode.Forbidden, $"round {round}: {(int)r.StatusCode}");
            var (status, holder) = await SuspensionOfAsync(f3.Id);
            Assert.True(("suspended", f1.Id) == (status, holder), $"round {round}: {status} by {holder}, the resumption {(int)r.StatusCode}");
        }
    }

    [Fact]
    public async Task AResumptionWaitingForTheTenantsRow_ReadsTheHolderCommittedMeanwhile()
    {
        // The deterministic form of the race above: while another session holds the customer's row, the reseller's resumption
        // waits; the vendor's suspension commits meanwhile; the resumption must judge by the holder committed, not by the row it
        // read before waiting (it would lift the vendor's suspension).
        using var chain = await ChainAsync();
        var (root, asF1, asF2, f1, f2, f3) = (chain.Root, chain.AsVendor, chain.AsReseller, chain.Vendor, chain.Reseller, chain.Customer);
        var path = $"/v2/tenants/{f3.Id}";
        await asF2.PatchJsonAsync(path, new { status = "suspended" });

        await using (var held = await HeldRow.LockAsync(service.ConnectionString, "tenants", f3.Id))
        {
            var resumed = asF2.PatchAsync(path, Http.Json(new { status = "active" }));
            await held.UntilWaitingAsync(1);
            await held.ExecuteAsync($"UPDATE tenants SET suspended_by = '{f1.Id}' WHERE id = '{f3.Id}'");
            await held.ReleaseAsync();
            using var response = await resumed;
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }

        Assert.Equal(("suspended", f1.Id), await SuspensionOfAsync(f3.Id));
    }

    /// <summary>A vendor under the root, a reseller under it and a customer under that, with clients of the first two.</summary>
    private async Task<Chain> ChainAsync()
    {
        var root = service.Root();
        var vendor = await root.ProvisionAsync(name: "Vendor");
        var asVendor = service.Client(vendor);
        var reseller = await asVendor.ProvisionAsync(name: "Reseller");
        var asReseller = service.Client(reseller);
        var customer = await asReseller.ProvisionAsync(name: "Customer");
        return new Chain(root, asVendor, asReseller, vendor, reseller, customer);
    }

    private sealed record Chain(
        HttpClient Root, HttpClient AsVendor, HttpClient AsReseller, ProvisionedTenant Vendor, ProvisionedTenant Reseller, ProvisionedTenant Customer)
        : IDisposable
    {
        public void Dispose()
        {
            Root.Dispose();
            AsVendor.Dispose();
            AsReseller.Dispose();
        }
    }

    private Task<string?> HolderOfAsync(string tenantId) => service.QueryDbAsync(db => db.Tenants.Where(t => t.Id == new TenantId(tenantId))
        .Select(t => t.SuspendedBy == null ? null : t.SuspendedBy.Value.Value).SingleAsync());

    private Task<(string Status, string? Holder)> SuspensionOfAsync(string tenantId) => service.QueryDbAsync(db => db.Tenants
        .Where(t => t.Id == new TenantId(tenantId))
        .Select(t => new ValueTuple<string, string?>(t.Status, t.SuspendedBy == null ? null : t.SuspendedBy.Value.Value)).SingleAsync());
}
