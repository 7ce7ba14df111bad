using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Provisioning.Domain.Common;
using Provisioning.Domain.Credentials;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Tenants;

[Collection(ServiceTestCollection.Name)]
public sealed class TenantHierarchyTests(ServiceFixture service)
{
    [Fact]
    public async Task Siblings_ParentsAndStrangers_Are404BothWays()
    {
        var parent = await service.NewTenantAsync();
        var account = parent.Client();
        var a = await account.ProvisionAsync(name: "A");
        var b = await account.ProvisionAsync(name: "B");
        var stranger = await service.NewTenantAsync();
        foreach (var tenant in new[] { a.Id, b.Id, parent.TenantId })
        {
            await account.PostJsonAsync($"/v2/tenants/{tenant}/users", new { email = "seen@example.com" }, HttpStatusCode.Created);
        }

        foreach (var (caller, target) in new[] { (a, b.Id), (b, a.Id), (a, parent.TenantId) })
        {
            var client = service.Client(caller);
            Http.AssertV2Error(await client.GetJsonAsync($"/v2/tenants/{target}", HttpStatusCode.NotFound), "not_found");
            Http.AssertV2Error(await client.PatchJsonAsync($"/v2/tenants/{target}", new { name = "Mine" }, HttpStatusCode.NotFound), "not_found");
            Http.AssertV2Error(await client.DeleteJsonAsync($"/v2/tenants/{target}", HttpStatusCode.NotFound), "not_found");
            Http.AssertV2Error(await client.GetJsonAsync($"/v2/tenants/{target}/users", HttpStatusCode.NotFound), "not_found");
            Http.AssertV2Error(await client.GetJsonAsync($"/v2/tenants/{target}/users/seen%40example.com", HttpStatusCode.NotFound), "not_found");
            using var onBehalf = service.Client(caller);
            onBehalf.DefaultRequestHeaders.Add("On-Behalf-Of", target);
            Http.AssertV2Error(await onBehalf.GetJsonAsync("/v2/apps", HttpStatusCode.NotFound), "not_found");
        }

        Http.AssertV2Error(await stranger.Client().GetJsonAsync($"/v2/tenants/{a.Id}", HttpStatusCode.NotFound), "not_found");
        Assert.Equal("A", await service.QueryDbAsync(db => db.Tenants.Where(t => t.Id == new TenantId(a.Id)).Select(t => t.Name).SingleAsync()));

        var children = (await account.GetJsonAsync("/v2/tenants"))["tenants"]!.AsArray().Select(t => (string)t!["id"]!);
        Assert.Equal([a.Id, b.Id], children);
        Assert.Empty((await service.Client(a).GetJsonAsync("/v2/tenants"))["tenants"]!.AsArray());
    }

    [Fact]
    public async Task ATenant_CannotRaiseItsOwnLimits_ButItsParentCan_AndGrandchildrenStillProvision()
    {
        var account = (await service.NewTenantAsync()).Client();
        var child = await account.ProvisionAsync();
        var asChild = service.Client(child);

        Http.AssertV2Error(await asChild.PatchJsonAsync("/v2/tenants/self", new { maxApps = 100 }, HttpStatusCode.Forbidden), "forbidden");
        Http.AssertV2Error(await asChild.PatchJsonAsync("/v2/tenants/self", new { contacts = 1_000_000 }, HttpStatusCode.Forbidden), "forbidden");
        Http.AssertV2Error(await asChild.DeleteJsonAsync("/v2/tenants/self", HttpStatusCode.Forbidden), "forbidden");
        var renamed = (await asChild.PatchJsonAsync("/v2/tenants/self", new { name = "Renamed", logoUrl = "https://x.example/l.png" }))["tenant"]!;
        Assert.Equal("Renamed", (string?)renamed["name"]);

        // Its own limits sent back as they are (a client sending its GET back) change nothing: not a 403.
        var self = (await asChild.GetJsonAsync("/v2/tenants/self"))["tenant"]!;
        var sentBack = (await asChild.PatchJsonAsync("/v2/tenants/self", Http.Json(new JsonObject
        {
            ["name"] = "Renamed again", ["contacts"] = self["contacts"]!.DeepClone(), ["maxApps"] = null, ["maxTenants"] = null,
        }.ToJsonString())))["tenant"]!;
        Assert.Equal("Renamed again", (string?)sentBack["name"]);
        Assert.Equal((int)self["contacts"]!, (int)sentBack["contacts"]!);
        Http.AssertV2Error(await asChild.PatchJsonAsync("/v2/tenants/self", new { name = "X", contacts = (int)self["contacts"]! - 1 }, HttpStatusCode.Forbidden), "forbidden");
        Assert.Equal("Renamed again", (string?)(await asChild.GetJsonAsync("/v2/tenants/self"))["tenant"]!["name"]);

        var raised = (await account.PatchJsonAsync($"/v2/tenants/{child.Id}", new { maxApps = 3, contacts = 500 }))["tenant"]!;
        Assert.Equal(3, (int)raised["maxApps"]!);
        Assert.Equal(500, (int)raised["contacts"]!);
        var cleared = (await account.PatchJsonAsync($"/v2/tenants/{child.Id}", Http.Json("""{"maxApps":null,"logoUrl":null}""")))["tenant"]!;
        Assert.Null(cleared["maxApps"]);
        Assert.Null(cleared["logoUrl"]);

        var grandchild = await asChild.ProvisionAsync(name: "Grandchild");
        Assert.Equal(child.Id, (string?)(await service.Client(grandchild).GetJsonAsync("/v2/tenants/self"))["tenant"]!["parentId"]);
        // The grandparent sees and manages the grandchild too.
        await account.PatchJsonAsync($"/v2/tenants/{grandchild.Id}", new { maxApps = 1 });
    }

    [Fact]
    public async Task ItsOwnLimitsSentBack_NeverPutBackWhatAnAncestorChangedMeanwhile()
    {
        // The limits a tenant sends itself pass when they equal what its row held when read; a PATCH that also sends
        // settings then waits for the row and reloads it. Applied after that, they were a change of the value the ancestor
        // lowered in between (refused 400 only because the grantor, the tenant itself, then had less): they are never
        // applied, and the rest of the PATCH goes through.
        var account = (await service.NewTenantAsync()).Client();
        var child = await account.ProvisionAsync();
        await account.PatchJsonAsync($"/v2/tenants/{child.Id}", new { contacts = 500 });
        using var asChild = service.Client(child);

        await using var held = await HeldRow.LockAsync(service.ConnectionString, "tenants", child.Id);
        var waitingBefore = await held.WaitingAsync();
        var sentBack = asChild.PatchJsonAsync("/v2/tenants/self", new { contacts = 500, settings = new { chat = new { color = "red" } } });
        await held.UntilWaitingAsync(waitingBefore + 1); // it has read 500 and waits for the row
        await held.ExecuteAsync($"UPDATE tenants SET contacts = 100 WHERE id = '{child.Id}'; COMMIT");

        await sentBack;
        var after = (await account.GetJsonAsync($"/v2/tenants/{child.Id}"))["tenant"]!;
        Assert.Equal(100, (int)after["contacts"]!);
        Assert.Equal("red", (string?)after["ownSettings"]!["chat"]!["color"]);
    }

    [Theory]
    [InlineData("""{"name":""}""", "name")]
    [InlineData("""{"maxApps":-1}""", "maxApps")]
    [InlineData("""{"maxApps":"ten"}""", "maxApps")]
    [InlineData("""{"contacts":-5}""", "contacts")]
    [InlineData("""{"logoUrl":"mailto:x@example.com"}""", "logoUrl")]
    [InlineData("""{"logoUrl":7}""", "logoUrl")]
    [InlineData("""{"settings":{"email":{"fromName":true}}}""", "settings.email.fromName")]
    public async Task UpdateTenant_WithBadInput_Returns400AndChangesNothing(string json, string field)
    {
        var account = (await service.NewTenantAsync()).Client();
        var child = await account.ProvisionAsync(name: "Stable");
        var body = await account.PatchJsonAsync($"/v2/tenants/{child.Id}", Http.Json(json), HttpStatusCode.BadRequest);
        Assert.Contains(field, Http.Titles(body));
        var stored = await service.QueryDbAsync(db => db.Tenants.AsNoTracking().SingleAsync(t => t.Id == new TenantId(child.Id)));
        Assert.Equal("Stable", stored.Name);
        Assert.Null(stored.MaxApps);
    }

    [Fact]
    public async Task DeletingATenant_RemovesItsSubtree_AndLocksOutEveryCredentialInIt()
    {
        var account = (await service.NewTenantAsync()).Client();
        var child = await account.ProvisionAsync();
        var asChild = service.Client(child);
        var grandchild = await asChild.ProvisionAsync(name: "Grandchild");
        var sa = await asChild.CreateServiceAccountAsync();
        var app = await service.Basic(sa.Key).CreateAppAsync();
        var appKey = await asChild.CreateAppKeyAsync(app);
        var grandApp = await service.Client(grandchild).CreateAppAsync();
        var credentials = new[] { asChild, service.Client(grandchild), service.WithBasic("api", child.Token), service.Basic(sa.Key) };
        foreach (var client in credentials)
        {
            await client.GetJsonAsync("/v2/apps"); // warm the credential cache
        }

        Assert.Empty((await account.DeleteJsonAsync($"/v2/tenants/{child.Id}")).AsObject());

        foreach (var client in credentials)
        {
            Http.AssertV2Error(await client.GetJsonAsync("/v2/apps", HttpStatusCode.Unauthorized), "unauthorized");
        }

        Http.AssertV2Error(await service.Basic(appKey).GetJsonAsync($"/v2/apps/{app}", HttpStatusCode.Unauthorized), "unauthorized");
        Assert.False(await service.QueryDbAsync(db => db.Tenants.AnyAsync(t => t.Id == new TenantId(child.Id) || t.Id == new TenantId(grandchild.Id))));
        Assert.False(await service.QueryDbAsync(db => db.Apps.AnyAsync(a => a.Id == new AppId(app) || a.Id == new AppId(grandApp))));
        Assert.False(await service.QueryDbAsync(db => db.ServiceAccounts.AnyAsync(s => s.Id == new ServiceAccountId(sa.Id))));
        Assert.False(await service.QueryDbAsync(db => db.ApiKeys.AnyAsync(k => k.Id == new KeyId(appKey.Id) || k.Id == new KeyId(sa.Key.Id))));
        Http.AssertV2Error(await account.GetJsonAsync($"/v2/tenants/{child.Id}", HttpStatusCode.NotFound), "not_found");
        await account.GetJsonAsync("/v2/apps");
    }

    [Fact]
    public async Task OnBehalfOf_ActsInsideADescendant_OnEveryTenantScopedRoute()
    {
        var parent = await service.NewTenantAsync();
        var child = await parent.Client().ProvisionAsync();
        var grandchild = await service.Client(child).ProvisionAsync(name: "Grandchild");
        using var onBehalf = parent.Client();
        onBehalf.DefaultRequestHeaders.Add("On-Behalf-Of", grandchild.Id);

        var app = await onBehalf.CreateAppAsync("Made for the grandchild");
        var sa = await onBehalf.CreateServiceAccountAsync("Grandchild SA");
        Assert.Equal(grandchild.Id, (string?)(await onBehalf.GetJsonAsync("/v2/tenants/self"))["tenant"]!["id"]);
        await onBehalf.PatchJsonAsync("/v2/tenants/self", new { maxApps = 10 }); // the caller's own tenant is an ancestor

        Assert.Equal(grandchild.Id, await service.QueryDbAsync(db => db.Apps.Where(a => a.Id == new AppId(app)).Select(a => a.TenantId.Value).SingleAsync()));
        Assert.Equal(grandchild.Id, await service.QueryDbAsync(db => db.ServiceAccounts.Where(s => s.Id == new ServiceAccountId(sa.Id)).Select(s => s.TenantId.Value).SingleAsync()));
        Assert.Equal([app], (await service.Client(grandchild).GetJsonAsync("/v2/apps"))["apps"]!.AsArray().Select(a => (string)a!["id"]!));
        Assert.Empty((await parent.Client().GetJsonAsync("/v2/apps"))["apps"]!.AsArray());

        // Not a descendant: 404; not an account credential: 403.
        using var toStranger = parent.Client();
        toStranger.DefaultRequestHeaders.Add("On-Behalf-Of", (await service.NewTenantAsync()).TenantId);
        Http.AssertV2Error(await toStranger.GetJsonAsync("/v2/apps", HttpStatusCode.NotFound), "not_found");
        using var malformed = parent.Client();
        malformed.DefaultRequestHeaders.Add("On-Behalf-Of", "' OR 1=1 --");
        Http.AssertV2Error(await malformed.GetJsonAsync("/v2/apps", HttpStatusCode.NotFound), "not_found");
        // Sent twice (the same id too): 400 naming the header, as a repeated Idempotency-Key (it read "id,id": 404).
        using var twice = parent.Client();
        twice.DefaultRequestHeaders.Add("On-Behalf-Of", [grandchild.Id, grandchild.Id]);
        var repeated = await twice.GetJsonAsync("/v2/apps", HttpStatusCode.BadRequest);
        Http.AssertV2Error(repeated, "bad_request");
        Assert.Contains("On-Behalf-Of must be one tenant id, sent once.", Http.Titles(repeated));
        using var asService = service.Basic(sa.Key);
        asService.DefaultRequestHeaders.Add("On-Behalf-Of", grandchild.Id);
        Http.AssertV2Error(await asService.GetJsonAsync("/v2/apps", HttpStatusCode.Forbidden), "forbidden");
    }

    [Fact]
    public async Task ARequestOnBehalfOfADescendant_LogsTheTenantItActsIn_BesideTheKeysOwn()
    {
        // An operator reading a slow or failed request's lines saw only the key's own tenant (the parent's), not the child
        // it acted in.
        var parent = await service.NewTenantAsync();
        var child = await parent.Client().ProvisionAsync();
        var requestId = "obo-log-" + Guid.NewGuid().ToString("N")[..8];
        // An instance of the test's own: a type's slow requests have lines of their own up to ten a minute (SlowMessages),
        // and the other tests' slow creates on a loaded host could take them.
        var logs = new CollectingLoggerProvider();
        await using var instance = new ConfiguredServiceFactory(service.ConnectionString, new(),
            services: s => s.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(logs));

        var line = await SlowCreateLogLineAsync(instance, logs, parent, child.Id, requestId);
        Assert.StartsWith("Warning", line, StringComparison.Ordinal);
        Assert.Contains($"RequestId:{requestId} TenantId:{parent.TenantId} KeyId:{parent.KeyId} OnBehalfOf:{child.Id} RequestPath:/v2/apps",
            line, StringComparison.Ordinal);

        // Naming the key's own tenant, the line has no such field.
        var homeLine = await SlowCreateLogLineAsync(instance, logs, parent, parent.TenantId, requestId + "-home");
        Assert.Contains($"RequestId:{requestId}-home TenantId:{parent.TenantId} KeyId:{parent.KeyId} RequestPath:/v2/apps", homeLine, StringComparison.Ordinal);
        Assert.DoesNotContain("OnBehalfOf", homeLine, StringComparison.Ordinal);
    }

    /// <summary>
    /// The log line of a create in <paramref name="tenantId"/> (sent with <c>On-Behalf-Of</c>) made to wait on that tenant's
    /// row (its foreign key's check) past the slow-handler warning's half second, so that it logs a line of its own.
    /// </summary>
    private async Task<string> SlowCreateLogLineAsync(
        ConfiguredServiceFactory instance, CollectingLoggerProvider logs, TestTenant caller, string tenantId, string requestId)
    {
        using var client = instance.CreateClient();
        client.DefaultRequestHeaders.Authorization = ServiceFixture.BasicHeader(caller.KeyId, caller.Secret);
        client.DefaultRequestHeaders.Add("On-Behalf-Of", tenantId);
        client.DefaultRequestHeaders.Add("X-Request-Id", requestId);
        await using var held = await HeldRow.LockAsync(service.ConnectionString, "tenants", tenantId);
        var waitingBefore = await held.WaitingAsync();
        var created = client.PostAsync("/v2/apps", Http.Json(new { displayName = "slow" }));
        await held.UntilWaitingAsync(waitingBefore + 1);
        await Task.Delay(TimeSpan.FromMilliseconds(700));
        await held.ReleaseAsync();
        using var answer = await created;
        Assert.Equal(HttpStatusCode.Created, answer.StatusCode);
        return Assert.Single(logs.Lines, l => l.Contains($"RequestId:{requestId} ", StringComparison.Ordinal)
                                                              && l.Contains("CreateAppCommand took", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Users_CanBeListedAddedAndRemoved()
    {
        var account = (await service.NewTenantAsync()).Client();
        var child = await account.ProvisionAsync(new { emails = new[] { "a@example.com" } });

        var added = await account.PostJsonAsync($"/v2/tenants/{child.Id}/users", new { email = "New@Example.com" }, HttpStatusCode.Created);
        Assert.Equal("new@example.com", (string?)added["user"]!["email"]);
        await account.PostJsonAsync($"/v2/tenants/{child.Id}/users", new { email = "NEW@example.com" }, HttpStatusCode.OK);
        var users = (await service.Client(child).GetJsonAsync("/v2/tenants/self/users"))["users"]!.AsArray().Select(u => (string)u!["email"]!);
        Assert.Equal(["a@example.com", "new@example.com"], users);

        await account.DeleteJsonAsync($"/v2/tenants/{child.Id}/users/A@example.com");
        Http.AssertV2Error(await account.DeleteJsonAsync($"/v2/tenants/{child.Id}/users/a@example.com", HttpStatusCode.NotFound), "not_found");
        var bad = await account.PostJsonAsync($"/v2/tenants/{child.Id}/users", new { email = "nope" }, HttpStatusCode.BadRequest);
        Assert.Contains("email", Http.Titles(bad));
        // Provisioning's list is not this route's field (it was ignored, and the request refused as "email: null is not an
        // email address": a probe); an address left out says so.
        Assert.Equal("emails is not a field of this request.", Http.Titles(await account.PostJsonAsync(
            $"/v2/tenants/{child.Id}/users", new { emails = new[] { "list@example.com" } }, HttpStatusCode.BadRequest)));
        Assert.Equal("email must be an email address (it is missing or null).", Http.Titles(await account.PostJsonAsync(
            $"/v2/tenants/{child.Id}/users", new { }, HttpStatusCode.BadRequest)));
        Assert.Equal(1, await service.QueryDbAsync(db => db.TenantUsers.CountAsync(u => u.TenantId == new TenantId(child.Id))));
    }

    [Fact]
    public async Task ATenantHoldsAtMost1000Users_EvenWhenAddsRace()
    {
        // Without a bound, the users list and the tenant view (which embeds them) grew with every add.
        var account = (await service.NewTenantAsync()).Client();
        var child = await account.ProvisionAsync(new { emails = Enumerable.Range(0, 999).Select(i => $"u{i}@example.com").ToArray() });

        var adds = await Task.WhenAll(Enumerable.Range(0, 16).Select(async i =>
        {
            using var answer = await account.PostAsync($"/v2/tenants/{child.Id}/users", Http.Json(new { email = $"racer{i}@example.com" }));
            return (answer.StatusCode, Body: await answer.Content.ReadAsStringAsync());
        }));

        Assert.Single(adds, a => a.StatusCode == HttpStatusCode.Created);
        Assert.All(adds.Where(a => a.StatusCode != HttpStatusCode.Created), a =>
        {
            Assert.Equal(HttpStatusCode.BadRequest, a.StatusCode);
            Assert.Contains("email: a tenant may have at most 1000 users", a.Body); // naming the field, as every 400
        });
        Assert.Equal(1000, await service.QueryDbAsync(db => db.TenantUsers.CountAsync(u => u.TenantId == new TenantId(child.Id))));

        // One who is there already is still answered 200; a removal frees a place.
        await account.PostJsonAsync($"/v2/tenants/{child.Id}/users", new { email = "U1@example.com" }, HttpStatusCode.OK);
        await account.DeleteJsonAsync($"/v2/tenants/{child.Id}/users/u1@example.com");
        await account.PostJsonAsync($"/v2/tenants/{child.Id}/users", new { email = "late@example.com" }, HttpStatusCode.Created);
    }

    [Fact]
    public async Task AUserWhoseAddressHoldsASlashOrAPercent_IsRemovedThroughItsLocation()
    {
        var tenant = await service.NewTenantAsync();
        using var account = tenant.Client();
        foreach (var email in new[] { "a/b@example.com", "\"q/r\"@example.com", "c%2Fd@example.com" })
        {
            using var added = await account.PostAsync("/v2/tenants/self/users", Http.Json(new { email }));
            Assert.Equal(HttpStatusCode.Created, added.StatusCode);
            // Its Location is the user: a GET there answers what the creation answered (it was a 405: only DELETE was routed).
            using (var read = await account.GetAsync(added.Headers.Location))
            {
                Assert.Equal(HttpStatusCode.OK, read.StatusCode);
                Assert.Equal(await added.Content.ReadAsStringAsync(), await read.Content.ReadAsStringAsync());
            }

            Assert.Equal(HttpStatusCode.OK, (await account.DeleteAsync(added.Headers.Location)).StatusCode);
            Http.AssertV2Error(await account.GetJsonAsync(added.Headers.Location!.ToString(), HttpStatusCode.NotFound), "not_found");
        }

        // The literal text "%2F" is not a slash: "c%2Fd@…" sent as c%252Fd%40… is that user, not "c/d@…".
        await account.PostJsonAsync("/v2/tenants/self/users", new { email = "c/d@example.com" }, HttpStatusCode.Created);
        Http.AssertV2Error(await account.DeleteJsonAsync("/v2/tenants/self/users/c%252Fd%40example.com", HttpStatusCode.NotFound), "not_found");
        Http.AssertV2Error(await account.GetJsonAsync("/v2/tenants/self/users/c%252Fd%40example.com", HttpStatusCode.NotFound), "not_found");
        Assert.Equal("c/d@example.com", (string?)(await account.GetJsonAsync("/v2/tenants/self/users/C%2FD%40Example.com"))["user"]!["email"]);
        // An address that is none: 404, as a removal answers it (a segment of dots is refused for every route, FrontDoor tests).
        Http.AssertV2Error(await account.GetJsonAsync("/v2/tenants/self/users/not-an-address", HttpStatusCode.NotFound), "not_found");
        await account.DeleteJsonAsync("/v2/tenants/self/users/c%2Fd%40example.com");
        Assert.Equal(0, await service.QueryDbAsync(db => db.TenantUsers.CountAsync(u => u.TenantId == new TenantId(tenant.TenantId))));
    }
}
