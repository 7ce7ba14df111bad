using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Provisioning.Domain.Common;
using Provisioning.Infrastructure.Retention;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Audit;

/// <summary>Audit events (API.md §11): one per successful change, in its transaction, visible down the tree only, never a secret.</summary>
[Collection(ServiceTestCollection.Name)]
public sealed class AuditEventsTests(ServiceFixture service)
{
    private static async Task<List<JsonNode>> AllEventsAsync(HttpClient client, string query = "")
    {
        var events = new List<JsonNode>();
        var url = $"/v2/events?page[size]=7{query}";
        while (true)
        {
            var page = await client.GetJsonAsync(url);
            events.AddRange(page["events"]!.AsArray().Select(e => e!));
            if (!(bool)page["meta"]!["hasMore"]!)
            {
                return events;
            }

            url = $"/v2/events?page[size]=7&page[after]={(string)page["meta"]!["afterCursor"]!}{query}";
        }
    }

    private static List<string> Types(IEnumerable<JsonNode> events) => [.. events.Select(e => (string)e["type"]!)];

    [Fact]
    public async Task EverySuccessfulChange_WritesOneEvent_WithItsActorResourceAndChangedFields_AndAFailureWritesNone()
    {
        var tenant = await service.NewTenantAsync(name: "Audited");
        using var client = tenant.Client();

        var app = await client.PostJsonAsync("/v2/apps", new { displayName = "Audited app", metadata = new { plan = "gold" } }, HttpStatusCode.Created);
        var appId = (string)app["app"]!["id"]!;
        using (var renamed = new HttpRequestMessage(HttpMethod.Patch, $"/v2/apps/{appId}") { Content = Http.Json(new { displayName = "Renamed" }) })
        {
            renamed.Headers.Add("X-Request-Id", "audit-rename-1");
            Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(renamed)).StatusCode);
        }

        var appKey = await client.CreateAppKeyAsync(appId);
        await client.PatchJsonAsync($"/v2/apps/{appId}/keys/{appKey.Id}", new { disabled = true });
        await client.PatchJsonAsync($"/v2/apps/{appId}/keys/{appKey.Id}", new { disabled = true }); // already: no event
        await client.PatchJsonAsync($"/v2/apps/{appId}", new { }); // nothing set: no event
        await client.PatchJsonAsync($"/v2/apps/{appId}/keys/{appKey.Id}", new { disabled = false });
        await client.DeleteJsonAsync($"/v2/apps/{appId}/keys/{appKey.Id}");
        var sa = await client.CreateServiceAccountAsync("Deployer");
        await client.PatchJsonAsync($"/v2/serviceaccounts/{sa.Id}", new { displayName = "Deployer 2" });
        await client.PutJsonAsync($"/v2/serviceaccounts/{sa.Id}/apps/{appId}", null);
        await client.PutJsonAsync($"/v2/serviceaccounts/{sa.Id}/apps/{appId}", null); // already granted: no second event
        await client.DeleteJsonAsync($"/v2/serviceaccounts/{sa.Id}/apps/{appId}");
        await client.DeleteJsonAsync($"/v2/serviceaccounts/{sa.Id}/keys/{sa.Key.Id}");
        await client.DeleteJsonAsync($"/v2/serviceaccounts/{sa.Id}");
        var accountKey = (string)(await client.PostJsonAsync("/v2/keys", new { displayName = "Second" }, HttpStatusCode.Created))["key"]!["id"]!;
        await client.PatchJsonAsync($"/v2/keys/{accountKey}", new { disabled = true });
        await client.DeleteJsonAsync($"/v2/keys/{accountKey}");
        var child = await client.ProvisionAsync(name: "Audited child"); // provisioningKey.created + tenant.provisioned
        await client.PatchJsonAsync($"/v2/tenants/{child.Id}", new { name = "Renamed child", contacts = 5 });
        await client.PatchJsonAsync($"/v2/tenants/{child.Id}", new { status = "suspended" });
        await client.PatchJsonAsync($"/v2/tenants/{child.Id}", new { status = "active" });
        await client.PatchJsonAsync($"/v2/tenants/{child.Id}", new { status = "active" }); // already active: no event
        await client.PatchJsonAsync($"/v2/tenants/{child.Id}", new { name = "Whole object sent back", status = "active" }); // an update, naming the name only
        await client.PatchJsonAsync($"/v2/tenants/{child.Id}", new { name = "Suspended child", status = "suspended" }); // a suspension, naming both
        await client.PatchJsonAsync($"/v2/tenants/{child.Id}", new { name = "Still suspended", status = "suspended" }); // already suspended: an update
        await client.PatchJsonAsync($"/v2/tenants/{child.Id}", new { status = "active" });
        await client.PostJsonAsync($"/v2/tenants/{child.Id}/users", new { email = "Ann@Example.com" }, HttpStatusCode.Created);
        await client.DeleteJsonAsync($"/v2/tenants/{child.Id}/users/ann@example.com");
        await client.DeleteJsonAsync($"/v2/tenants/{child.Id}");
        await client.DeleteJsonAsync($"/v2/apps/{appId}");

        // Failures write nothing: a 400, a 404, a 409.
        await client.PostJsonAsync("/v2/apps", new { displayName = "" }, HttpStatusCode.BadRequest);
        await client.DeleteJsonAsync($"/v2/apps/{appId}", HttpStatusCode.NotFound);
        await client.PostJsonAsync("/v2/serviceaccounts", new { displayName = "Twin" }, HttpStatusCode.Created);
        await client.PostJsonAsync("/v2/serviceaccounts", new { displayName = "Twin" }, HttpStatusCode.Conflict);

        var events = await AllEventsAsync(client);
        Assert.Equal(
        [
            "app.created", "app.updated", "appKey.created", "key.disabled", "key.enabled", "appKey.deleted",
            "serviceAccount.created", "serviceAccountKey.created", "serviceAccount.updated", "appAccess.granted", "appAccess.revoked",
            "serviceAccountKey.deleted", "serviceAccount.deleted", "accountKey.created", "key.disabled", "accountKey.deleted",
            "provisioningKey.created", "tenant.provisioned", "tenant.updated", "tenant.suspended", "tenant.resumed",
            "tenant.updated", "tenant.suspended", "tenant.updated", "tenant.resumed", "tenantUser.added", "tenantUser.removed", "tenant.deleted", "app.deleted", "serviceAccount.created",
        ], Types(events));
        Assert.Equal(events.Count - 9, await service.QueryDbAsync(db => db.AuditEvents.CountAsync(e => e.TenantId == new TenantId(tenant.TenantId))));

        Assert.All(events, e =>
        {
            Assert.Equal(tenant.KeyId, (string?)e["actor"]!["keyId"]);
            Assert.Equal("account", (string?)e["actor"]!["kind"]);
            Assert.Equal(tenant.TenantId, (string?)e["actor"]!["tenantId"]);
            Assert.Null(e["onBehalfOf"]);
            Assert.False(string.IsNullOrEmpty((string?)e["requestId"]));
        });

        // An event belongs to the tenant it is about: changes to the child are the child's (its ancestors see them),
        // its deletion is filed under its parent, which outlives it.
        var childEvents = Enumerable.Range(18, 9).ToArray();
        Assert.All(events.Where((_, i) => childEvents.Contains(i)), e => Assert.Equal(child.Id, (string?)e["tenantId"]));
        Assert.All(events.Where((_, i) => !childEvents.Contains(i)), e => Assert.Equal(tenant.TenantId, (string?)e["tenantId"]));

        var created = events[0];
        Assert.Equal("app", (string?)created["resource"]!["type"]);
        Assert.Equal(appId, (string?)created["resource"]!["id"]);
        Assert.Equal(["displayName", "metadata"], created["changes"]!.AsArray().Select(c => (string)c!).ToArray());
        Assert.Equal(["displayName"], events[1]["changes"]!.AsArray().Select(c => (string)c!).ToArray());
        // A tenant PATCH's type follows what changed: the status it already had is not a suspension or a resumption.
        Assert.Equal(["status"], events[19]["changes"]!.AsArray().Select(c => (string)c!).ToArray());
        Assert.Equal(["name"], events[21]["changes"]!.AsArray().Select(c => (string)c!).ToArray());
        Assert.Equal(["name", "status"], events[22]["changes"]!.AsArray().Select(c => (string)c!).ToArray());
        Assert.Equal(["name"], events[23]["changes"]!.AsArray().Select(c => (string)c!).ToArray());
        Assert.Equal("audit-rename-1", (string?)events[1]["requestId"]);
        Assert.Equal(appKey.Id, (string?)events[2]["resource"]!["id"]);
        Assert.Equal(appId, (string?)events[2]["related"]!["id"]);
        Assert.Equal(["disabled"], events[3]["changes"]!.AsArray().Select(c => (string)c!).ToArray());
        Assert.Equal(child.Id, (string?)events[17]["resource"]!["id"]);
        Assert.Equal(["name", "contacts"], events[18]["changes"]!.AsArray().Select(c => (string)c!).ToArray());
        Assert.Equal(["email"], events[25]["changes"]!.AsArray().Select(c => (string)c!).ToArray()); // tenantUser.added: what it was given
        Assert.Equal("ann@example.com", (string?)events[25]["resource"]!["id"]);
    }

    [Fact]
    public async Task ACreateNamesTheFieldsItWasGivenAValueIn_NotThoseGivenNullOrEmpty()
    {
        var tenant = await service.NewTenantAsync();
        using var client = tenant.Client();
        var bare = await client.PostJsonAsync("/v2/apps", new { displayName = "Bare", settings = new { }, metadata = (object?)null }, HttpStatusCode.Created);
        var empty = await client.PostJsonAsync("/v2/apps", new { displayName = "Empty", metadata = new { } }, HttpStatusCode.Created);
        var given = await client.PostJsonAsync("/v2/apps",
            new { displayName = "Given", settings = new { useAnimalNames = true }, metadata = new { plan = "gold" } }, HttpStatusCode.Created);
        var plain = await client.ProvisionAsync(new { settings = new { }, emails = Array.Empty<string>(), logo_url = (string?)null }, name: "Plain child");
        var set = await client.ProvisionAsync(new { settings = new { email = new { from = "a@example.com" } } }, name: "Set child");

        var events = await AllEventsAsync(client);
        Assert.Equal(["displayName"], ChangesOf((string)bare["app"]!["id"]!));
        Assert.Equal(["displayName"], ChangesOf((string)empty["app"]!["id"]!));
        Assert.Equal(["displayName", "settings", "metadata"], ChangesOf((string)given["app"]!["id"]!));
        Assert.DoesNotContain("settings", ChangesOf(plain.Id));
        Assert.DoesNotContain("emails", ChangesOf(plain.Id));
        Assert.Contains("settings", ChangesOf(set.Id));

        string[] ChangesOf(string id) =>
            events.Single(e => (string?)e["resource"]!["id"] == id && (string?)e["type"] is "app.created" or "tenant.provisioned")
                ["changes"]!.AsArray().Select(c => (string)c!).ToArray();
    }

    [Fact]
    public async Task AUsersEvents_AreFoundByItsAddress_ThoughItsCharactersTakeTwoUtf16UnitsEach()
    {
        // 197 characters as the email rule and the column count them, 383 UTF-16 units: the filter counted units (a probe).
        using var root = service.Root();
        var child = await root.ProvisionAsync(name: "Wide addresses");
        var email = "a@" + string.Join(".", Enumerable.Repeat(string.Concat(Enumerable.Repeat("\U00020000", 31)), 6)) + ".com";
        Assert.Equal((197, 383), (email.EnumerateRunes().Count(), email.Length));
        await root.PostJsonAsync($"/v2/tenants/{child.Id}/users", new { email }, HttpStatusCode.Created);

        var events = await AllEventsAsync(root, $"&filter[resourceId]={Uri.EscapeDataString(email)}");
        Assert.Equal(["tenantUser.added"], Types(events));
        Assert.Equal(email, (string?)events[0]["resource"]!["id"]);

        // Written as the user routes take it (any case): the same user's events (a probe found none).
        await root.PostJsonAsync($"/v2/tenants/{child.Id}/users", new { email = "Bob@Example.com" }, HttpStatusCode.Created);
        Assert.Equal(["tenantUser.added"], Types(await AllEventsAsync(root, $"&filter[resourceId]={Uri.EscapeDataString("BOB@EXAMPLE.COM")}")));

        var tooLong = Uri.EscapeDataString(string.Concat(Enumerable.Repeat("\U00020000", 321)));
        Http.AssertV2Error(await root.GetJsonAsync($"/v2/events?filter[resourceId]={tooLong}", HttpStatusCode.BadRequest), "bad_request");
    }

    [Fact]
    public async Task TheActorIsTheKeyThatMadeTheChange_ServiceAccountAndAppKeysIncluded()
    {
        var tenant = await service.NewTenantAsync();
        using var account = tenant.Client();
        var sa = await account.CreateServiceAccountAsync();
        using var asServiceAccount = service.Basic(sa.Key);
        var appId = await asServiceAccount.CreateAppAsync("Made by a service account");
        var appKey = await account.CreateAppKeyAsync(appId);
        using var asApp = service.Basic(appKey);
        await asApp.PatchJsonAsync($"/v2/apps/{appId}", new { displayName = "Renamed by its own key" });

        var events = (await AllEventsAsync(account, $"&filter[resourceId]={appId}")).Where(e => (string?)e["resource"]!["id"] == appId).ToList();
        Assert.Equal(["app.created", "app.updated"], Types(events));
        Assert.Equal((sa.Key.Id, "serviceAccount", tenant.TenantId), Actor(events[0]));
        Assert.Equal((appKey.Id, "app", tenant.TenantId), Actor(events[1]));

        // The service account was granted access to the app it made: its own trail shows it (as the creation's related
        // resource), before a revocation of that access — which alone was there (a probe of events.md).
        Assert.Equal(("serviceAccount", sa.Id), ((string?)events[0]["related"]!["type"], (string?)events[0]["related"]!["id"]));
        Assert.Null(events[1]["related"]);
        await account.DeleteJsonAsync($"/v2/serviceaccounts/{sa.Id}/apps/{appId}");
        var accountsTrail = await AllEventsAsync(account, $"&filter[resourceId]={sa.Id}");
        Assert.Equal(["serviceAccount.created", "serviceAccountKey.created", "app.created", "appAccess.revoked"], Types(accountsTrail));

        static (string?, string?, string?) Actor(JsonNode e) =>
            ((string?)e["actor"]!["keyId"], (string?)e["actor"]!["kind"], (string?)e["actor"]!["tenantId"]);
    }

    [Fact]
    public async Task ATenantSeesItsOwnAndItsDescendantsEvents_NeverAnAncestorsOrASiblings()
    {
        var parent = await service.NewTenantAsync(name: "Parent");
        using var asParent = parent.Client();
        var child = await asParent.ProvisionAsync(name: "Child");
        var sibling = await asParent.ProvisionAsync(name: "Sibling");
        using var asChild = service.Client(child);
        using var asSibling = service.Client(sibling);
        var childApp = await asChild.CreateAppAsync("Child app");
        var siblingApp = await asSibling.CreateAppAsync("Sibling app");
        var parentApp = await asParent.CreateAppAsync("Parent app");

        // On-Behalf-Of: the event happens in the child, names the parent's key as actor and the child as onBehalfOf.
        using (var obo = new HttpRequestMessage(HttpMethod.Post, "/v2/apps") { Content = Http.Json(new { displayName = "On behalf" }) })
        {
            obo.Headers.Add("On-Behalf-Of", child.Id);
            Assert.Equal(HttpStatusCode.Created, (await asParent.SendAsync(obo)).StatusCode);
        }

        var parentView = await AllEventsAsync(asParent);
        var childView = await AllEventsAsync(asChild);
        var resourceIds = (List<JsonNode> events) => events.Select(e => (string)e["resource"]!["id"]!).ToList();

        Assert.Contains(childApp, resourceIds(parentView));
        Assert.Contains(siblingApp, resourceIds(parentView));
        Assert.Contains(parentApp, resourceIds(parentView));
        Assert.Contains(childApp, resourceIds(childView));
        Assert.DoesNotContain(siblingApp, resourceIds(childView));
        Assert.DoesNotContain(parentApp, resourceIds(childView));
        Assert.All(childView, e => Assert.Equal(child.Id, (string?)e["tenantId"]));

        var onBehalf = childView.Single(e => (string?)e["type"] == "app.created" && (string?)e["resource"]!["id"] != childApp);
        Assert.Equal(child.Id, (string?)onBehalf["onBehalfOf"]);
        Assert.Equal(parent.KeyId, (string?)onBehalf["actor"]!["keyId"]);
        Assert.Equal(parent.TenantId, (string?)onBehalf["actor"]!["tenantId"]);
        Assert.Equal("tenantToken", (string?)childView.Single(e => (string?)e["resource"]!["id"] == childApp)["actor"]!["kind"]);

        // filter[tenantId]: a descendant narrows the view; a sibling or an ancestor is 404, as if it did not exist.
        var onlyChild = await AllEventsAsync(asParent, $"&filter[tenantId]={child.Id}");
        Assert.Equal(resourceIds(childView), resourceIds(onlyChild));
        Http.AssertV2Error(await asChild.GetJsonAsync($"/v2/events?filter[tenantId]={sibling.Id}", HttpStatusCode.NotFound), "not_found");
        Http.AssertV2Error(await asChild.GetJsonAsync($"/v2/events?filter[tenantId]={parent.TenantId}", HttpStatusCode.NotFound), "not_found");
    }

    /// <summary>
    /// A tenant's page holds its own events and its descendants', interleaved as they happened: every page, either way,
    /// is in id order, with nothing lost or repeated at a page's edge, with and without a type filter.
    /// </summary>
    [Fact]
    public async Task PagesOfATenantsOwnAndItsDescendantsEvents_AreInIdOrder_ForwardAndBack_WithEachFilter()
    {
        var parent = await service.NewTenantAsync(name: "Merging");
        using var asParent = parent.Client();
        var child = await asParent.ProvisionAsync(name: "Merged");
        using var asChild = service.Client(child);
        for (var i = 0; i < 3; i++)
        {
            await asParent.CreateAppAsync($"Own {i}");
            await asChild.CreateAppAsync($"Child's {i}");
        }

        // One app of the child with events of its own and, as the related resource, its keys': both interleaved.
        var busyApp = await asChild.CreateAppAsync("Busy");
        for (var i = 0; i < 3; i++)
        {
            await asChild.CreateAppKeyAsync(busyApp);
            await asChild.PatchJsonAsync($"/v2/apps/{busyApp}", new { displayName = $"Busy {i}" });
        }

        var all = await AllEventsAsync(asParent);
        var ids = all.Select(e => (string)e["id"]!).ToList();
        Assert.Equal(ids.Order(StringComparer.Ordinal), ids);
        Assert.Equal(ids.Count, ids.Distinct().Count());
        string?[] alternating = [parent.TenantId, child.Id, parent.TenantId, child.Id, parent.TenantId, child.Id, child.Id];
        Assert.Equal(alternating, all.Where(e => (string?)e["type"] == "app.created").Select(e => (string?)e["tenantId"]));
        Assert.Equal(alternating, (await AllEventsAsync(asParent, "&filter[type]=app.created")).Select(e => (string?)e["tenantId"]));
        var childsApps = await AllEventsAsync(asParent, $"&filter[tenantId]={child.Id}&filter[type]=app.created");
        Assert.Equal(4, childsApps.Count);
        Assert.All(childsApps, e => Assert.Equal(child.Id, (string?)e["tenantId"]));

        // Two at a time, forward to the end, and back from the last event; the filters kept from page to page.
        async Task<List<string>> WalkAsync(string filters, string? before)
        {
            var (direction, cursor) = before is null ? ("after", "afterCursor") : ("before", "beforeCursor");
            var seen = new List<string>();
            var url = $"/v2/events?page[size]=2{filters}" + (before is null ? string.Empty : $"&page[before]={before}");
            while (true)
            {
                var page = await asParent.GetJsonAsync(url);
                var onPage = page["events"]!.AsArray().Select(e => (string)e!["id"]!).ToList();
                seen.InsertRange(before is null ? seen.Count : 0, onPage);
                if ((string?)page["meta"]![cursor] is not { } next)
                {
                    return seen;
                }

                url = $"/v2/events?page[size]=2{filters}&page[{direction}]={next}";
            }
        }

        var aboutBusyApp = all.Where(e => (string?)e["resource"]!["id"] == busyApp || (string?)e["related"]?["id"] == busyApp)
            .Select(e => (string)e["id"]!).ToList();
        Assert.Equal(7, aboutBusyApp.Count);
        Assert.Equal(aboutBusyApp, (await AllEventsAsync(asParent, $"&filter[resourceId]={busyApp}")).Select(e => (string)e["id"]!));
        foreach (var filters in new[]
        {
            string.Empty, "&filter[type]=app.created", $"&filter[tenantId]={child.Id}&filter[type]=app.created",
            $"&filter[resourceId]={busyApp}", $"&filter[resourceId]={busyApp}&filter[tenantId]={child.Id}",
            $"&filter[resourceId]={busyApp}&filter[type]=appKey.created",
        })
        {
            var expected = (await AllEventsAsync(asParent, filters)).Select(e => (string)e["id"]!).ToList();
            Assert.True(expected.Count >= 3, filters);
            Assert.Equal(expected, await WalkAsync(filters, before: null));
            Assert.Equal(expected[..^1], await WalkAsync(filters, before: expected[^1]));
        }

        var second = await asParent.GetJsonAsync($"/v2/events?page[size]=2&page[after]={ids[0]}");
        Assert.Equal(ids[1], (string?)second["meta"]!["beforeCursor"]);
    }

    [Fact]
    public async Task WhatAnAncestorDoesToAGrandchild_IsSeenByTheMiddleTenant_AndADeletedTenantsDeletionStaysReadable()
    {
        var top = await service.NewTenantAsync(name: "Top");
        using var asTop = top.Client();
        var middle = await asTop.ProvisionAsync(name: "Middle");
        using var asMiddle = service.Client(middle);
        var bottom = await asMiddle.ProvisionAsync(name: "Bottom");

        await asTop.PatchJsonAsync($"/v2/tenants/{bottom.Id}", new { status = "suspended" });
        var seenByMiddle = await AllEventsAsync(asMiddle, $"&filter[resourceId]={bottom.Id}");
        Assert.Equal(["tenant.provisioned", "tenant.suspended"], Types(seenByMiddle));
        Assert.Equal(top.KeyId, (string?)seenByMiddle[1]["actor"]!["keyId"]);
        Assert.Equal(bottom.Id, (string?)seenByMiddle[1]["tenantId"]);
        Assert.Equal(["tenant.suspended"], Types(await AllEventsAsync(asTop, $"&filter[tenantId]={bottom.Id}")));

        // The top deletes the middle tenant while acting in it (On-Behalf-Of, `self`): the event is filed under the top.
        using (var delete = new HttpRequestMessage(HttpMethod.Delete, "/v2/tenants/self"))
        {
            delete.Headers.Add("On-Behalf-Of", middle.Id);
            Assert.Equal(HttpStatusCode.OK, (await asTop.SendAsync(delete)).StatusCode);
        }

        var deleted = Assert.Single(await AllEventsAsync(asTop, "&filter[type]=tenant.deleted"));
        Assert.Equal(middle.Id, (string?)deleted["resource"]!["id"]);
        Assert.Equal(top.TenantId, (string?)deleted["tenantId"]);
        Assert.Equal(middle.Id, (string?)deleted["onBehalfOf"]);

        // The deleted tenants' trails stay the top's to read, narrowed to each (they were 404, a probe), and no one else's.
        Assert.Equal(["tenant.suspended"], Types(await AllEventsAsync(asTop, $"&filter[tenantId]={bottom.Id}")));
        var inMiddle = await AllEventsAsync(asTop, $"&filter[tenantId]={middle.Id}");
        Assert.Contains(inMiddle, e => (string?)e["type"] == "tenant.provisioned" && (string?)e["resource"]!["id"] == bottom.Id);
        Assert.All(inMiddle, e => Assert.Equal(middle.Id, (string?)e["tenantId"]));
        var stranger = await service.NewTenantAsync(name: "Stranger");
        using var asStranger = stranger.Client();
        await asStranger.CreateAppAsync("Its own event");
        foreach (var gone in new[] { bottom.Id, middle.Id })
        {
            Http.AssertV2Error(await asStranger.GetJsonAsync($"/v2/events?filter[tenantId]={gone}", HttpStatusCode.NotFound), "not_found");
        }

        Http.AssertV2Error(await asTop.GetJsonAsync($"/v2/events?filter[tenantId]={stranger.TenantId}", HttpStatusCode.NotFound), "not_found");
        Http.AssertV2Error(await asTop.GetJsonAsync("/v2/events?filter[tenantId]=0000000000000000000000aa", HttpStatusCode.NotFound), "not_found");
    }

    [Fact]
    public async Task FiltersAndPaging()
    {
        var tenant = await service.NewTenantAsync();
        using var client = tenant.Client();
        var appId = await client.CreateAppAsync("Filtered");
        var key = await client.CreateAppKeyAsync(appId);
        await client.CreateAppAsync("Other");

        var aboutApp = await AllEventsAsync(client, $"&filter[resourceId]={appId}");
        Assert.Equal(["app.created", "appKey.created"], Types(aboutApp));
        Assert.Equal(key.Id, (string?)aboutApp[1]["resource"]!["id"]);
        Assert.Equal(["app.created", "app.created"], Types(await AllEventsAsync(client, "&filter[type]=app.created")));

        var first = await client.GetJsonAsync("/v2/events?page[size]=2");
        Assert.True((bool)first["meta"]!["hasMore"]!);
        Assert.Contains("filter", (string?)(await client.GetJsonAsync("/v2/events?page[size]=1&filter[type]=app.created"))["links"]!["next"] ?? "");
        var last = await client.GetJsonAsync($"/v2/events?page[after]={(string)first["meta"]!["afterCursor"]!}");
        Assert.Single(last["events"]!.AsArray());
        var back = await client.GetJsonAsync($"/v2/events?page[before]={(string)last["events"]![0]!["id"]!}");
        Assert.Equal(2, back["events"]!.AsArray().Count);
        Assert.NotNull(back["meta"]!["afterCursor"]);
        // Backwards from past the newest event: the newest page, and no next page offered (there is none).
        var newest = await client.GetJsonAsync("/v2/events?page[size]=2&page[before]=ffffffffffffffffffffffff");
        Assert.Equal((string?)last["events"]![0]!["id"], (string?)newest["events"]!.AsArray()[^1]!["id"]);
        Assert.Null(newest["meta"]!["afterCursor"]);
        Assert.Null(newest["links"]!["next"]);

        foreach (var (query, field) in new[]
        {
            ("filter[type]=app.exploded", "filter[type]"),
            ("filter[tenantId]=nope", "filter[tenantId]"),
            ("page[size]=101", "page[size]"),
        })
        {
            var error = await client.GetJsonAsync($"/v2/events?{query}", HttpStatusCode.BadRequest);
            Assert.Contains(field, Http.Titles(error));
        }
    }

    [Fact]
    public async Task AReaderFollowingTheEvents_MissesNone_WhenAnEarlierChangeCommitsAfterALaterOne()
    {
        // A consumer that follows the trail (page[after] = the last id it saw) must not miss an event whose transaction
        // wrote it before a later one committed: ids are time-ordered, commits are not (a probe lost 22-63 of 320 events
        // with eight writers). Here an audited change is held open after writing its event, and a later one commits first.
        var tenant = await service.NewTenantAsync();
        using var client = tenant.Client();
        var seen = new List<string>();

        await using var inFlight = new Npgsql.NpgsqlConnection(service.ConnectionString);
        await inFlight.OpenAsync();
        await using var transaction = await inFlight.BeginTransactionAsync();
        await using (var insert = new Npgsql.NpgsqlCommand(
            """
            INSERT INTO audit_events (id, tenant_id, type, actor_kind, resource_type, resource_id, created_at, changes)
            VALUES (lpad(to_hex(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0') || '000000000000',
                    $1, 'app.created', 'operator', 'app', 'app_in_flight', now(), '{}')
            """, inFlight, transaction) { Parameters = { new() { Value = tenant.TenantId } } })
        {
            await insert.ExecuteNonQueryAsync();
        }

        await Task.Delay(5); // the next change's id is in a later millisecond
        await client.CreateAppAsync("committed first");
        await FollowAsync();
        await transaction.CommitAsync();
        await client.CreateAppAsync("after both");

        var all = await service.QueryDbAsync(db => db.AuditEvents.Where(e => e.TenantId == new TenantId(tenant.TenantId))
            .OrderBy(e => e.Id).Select(e => e.Id).ToListAsync());
        Assert.Equal(3, all.Count);
        var deadline = DateTime.UtcNow.AddSeconds(10); // another instance's change in flight may hold the newest back a moment
        while (seen.Count < all.Count && DateTime.UtcNow < deadline)
        {
            await FollowAsync();
            await Task.Delay(100);
        }

        Assert.Equal(all, seen);

        async Task FollowAsync()
        {
            var page = await client.GetJsonAsync(seen.Count == 0 ? "/v2/events?page[size]=100" : $"/v2/events?page[size]=100&page[after]={seen[^1]}");
            seen.AddRange(page["events"]!.AsArray().Select(e => (string)e!["id"]!));
        }
    }

    [Fact]
    public async Task AnUpdateNamesOnlyTheFieldsItChanged_AndOneThatSetsWhatIsThereWritesNothing()
    {
        var tenant = await service.NewTenantAsync(name: "Sent back");
        using var client = tenant.Client();
        var appId = (string)(await client.PostJsonAsync(
            "/v2/apps", new { displayName = "Same", metadata = new { plan = "gold" }, settings = new { echoPostback = true } }, HttpStatusCode.Created))["app"]!["id"]!;
        var child = await client.ProvisionAsync(new { logo_url = "https://cdn.example.com/l.png", settings = new { chat = new { color = "red" } } }, name: "Same child");
        await client.PatchJsonAsync($"/v2/tenants/{child.Id}", new { contacts = 5, maxApps = 3 });
        var sa = await client.CreateServiceAccountAsync("Same account");
        var before = (await AllEventsAsync(client)).Count;

        // What a "GET, change, send back" client sends when it changed nothing: every field as it is.
        var app = (await client.GetJsonAsync($"/v2/apps/{appId}"))["app"]!;
        await client.PatchJsonAsync($"/v2/apps/{appId}", new { displayName = " Same ", settings = app["settings"], metadata = new { plan = "gold" } });
        await client.PutJsonAsync($"/v1.1/apps/{appId}", new { name = "Same", metadata = new { plan = "gold", gone = (string?)null } });
        var view = (await client.GetJsonAsync($"/v2/tenants/{child.Id}"))["tenant"]!;
        await client.PatchJsonAsync($"/v2/tenants/{child.Id}", new
        {
            name = (string)view["name"]!, logoUrl = (string)view["logoUrl"]!, contacts = 5, maxApps = 3, maxTenants = (int?)null,
            settings = new { chat = new { color = "red" } }, status = "active",
        });
        await client.PatchJsonAsync($"/v2/serviceaccounts/{sa.Id}", new { displayName = "Same account" });
        Assert.Equal(before, (await AllEventsAsync(client)).Count);

        // Set with others that change: only those are named.
        await client.PatchJsonAsync($"/v2/apps/{appId}", new { displayName = "Same", metadata = new { plan = "silver" } });
        await client.PatchJsonAsync($"/v2/tenants/{child.Id}", new { name = (string)view["name"]!, contacts = 6, settings = new { chat = new { color = "red" } } });
        await client.PatchJsonAsync($"/v2/serviceaccounts/{sa.Id}", new { displayName = "same account" }); // the case is the name's
        var events = (await AllEventsAsync(client))[before..];
        Assert.Equal(["app.updated", "tenant.updated", "serviceAccount.updated"], Types(events));
        Assert.Equal(["metadata"], events[0]["changes"]!.AsArray().Select(c => (string)c!).ToArray());
        Assert.Equal(["contacts"], events[1]["changes"]!.AsArray().Select(c => (string)c!).ToArray());
        Assert.Equal(["displayName"], events[2]["changes"]!.AsArray().Select(c => (string)c!).ToArray());
        Assert.Equal("same account", (string?)(await client.GetJsonAsync($"/v2/serviceaccounts/{sa.Id}"))["serviceAccount"]!["displayName"]);
    }

    [Fact]
    public async Task TheTenantViewGainsLastActivityAt_FromItsLatestChange()
    {
        using var root = service.Root();
        var child = await root.ProvisionAsync(name: "Active child");
        var before = (await root.GetJsonAsync($"/v2/tenants/{child.Id}"))["tenant"]!;
        Assert.Null(before["lastActivityAt"]);
        using var asChild = service.Client(child);
        await asChild.CreateAppAsync("Activity");
        var after = (await root.GetJsonAsync($"/v2/tenants/{child.Id}"))["tenant"]!;
        var latest = (await AllEventsAsync(asChild))[^1];
        Assert.Equal((DateTimeOffset)latest["createdAt"]!, (DateTimeOffset)after["lastActivityAt"]!);

        // The answer to a change of the tenant itself already counts it (its event is written with the COMMIT, after the
        // view was read): what it says is what a GET says next (a probe saw the PATCH answer the previous activity).
        var renamed = (await root.PatchJsonAsync($"/v2/tenants/{child.Id}", new { name = "Renamed child" }))["tenant"]!;
        var read = (await root.GetJsonAsync($"/v2/tenants/{child.Id}"))["tenant"]!;
        Assert.Equal((DateTimeOffset)read["lastActivityAt"]!, (DateTimeOffset)renamed["lastActivityAt"]!);
        Assert.True((DateTimeOffset)renamed["lastActivityAt"]! > (DateTimeOffset)after["lastActivityAt"]!);
    }

    [Fact]
    public async Task NoStoredEventHoldsASecret()
    {
        // Every kind of secret the service hands out, then every stored event (this test's and all before it) as text.
        using var root = service.Root();
        var tenant = await service.NewTenantAsync();
        using var client = tenant.Client();
        var secrets = new List<string> { ServiceFixture.RootSecret, tenant.Secret };
        var appId = await client.CreateAppAsync("Secretive");
        secrets.Add((await client.CreateAppKeyAsync(appId)).Secret);
        var sa = await client.CreateServiceAccountAsync();
        secrets.Add(sa.Key.Secret);
        secrets.Add((string)(await client.PostJsonAsync("/v2/keys", new { displayName = "Another" }, HttpStatusCode.Created))["key"]!["secret"]!);
        secrets.Add(await client.CreateProvisioningKeyAsync());
        var child = await client.ProvisionAsync();
        secrets.Add(child.Token);
        secrets.Add(child.Token.Split('.', 2)[^1]);

        var stored = await service.QueryDbAsync(db => db.Database
            .SqlQuery<string>($"SELECT coalesce(string_agg(e::text, E'\n'), '') AS \"Value\" FROM audit_events e").SingleAsync());
        Assert.Contains(appId, stored);
        Assert.All(secrets, secret => Assert.DoesNotContain(secret, stored, StringComparison.Ordinal));
    }

    [Fact]
    public async Task RetentionPrunesOldEventsAndIdempotencyRecords_InBatches_AndKeepsTheRest()
    {
        var tenant = await service.NewTenantAsync();
        using var client = tenant.Client();
        var appId = await client.CreateAppAsync("Recent");
        using (var keyed = new HttpRequestMessage(HttpMethod.Post, "/v2/apps") { Content = Http.Json(new { displayName = "Keyed" }) })
        {
            keyed.Headers.Add("Idempotency-Key", "kept-for-a-day");
            Assert.Equal(HttpStatusCode.Created, (await client.SendAsync(keyed)).StatusCode);
        }

        // Age a few rows past their retention (idempotency 24 h, events 365 days), more than one batch of events.
        var old = RetentionPruner.BatchSize + 5;
        await service.QueryDbAsync(db => db.Database.ExecuteSqlInterpolatedAsync(
            $"""
            INSERT INTO audit_events (id, tenant_id, type, actor_kind, resource_type, resource_id, changes, created_at)
            SELECT lpad(to_hex(g), 24, '0'), {tenant.TenantId}, 'app.created', 'account', 'app', 'old-' || g, ARRAY[]::text[], now() - interval '400 days'
            FROM generate_series(1, {old}) AS g;
            INSERT INTO idempotency_records (scope, key, fingerprint, status, protected_body, created_at)
            VALUES ({tenant.KeyId}, 'stale', '\x00', 201, '\x00', now() - interval '25 hours');
            """));

        var (records, events) = await service.Factory.Services.GetRequiredService<RetentionPruner>().PruneAsync(CancellationToken.None);

        Assert.True(records >= 1);
        Assert.True(events >= old);
        Assert.Equal(0, await service.QueryDbAsync(db => db.AuditEvents.CountAsync(e => e.ResourceId.StartsWith("old-"))));
        Assert.Equal(0, await service.QueryDbAsync(db => db.Database.SqlQuery<int>(
            $"SELECT count(*)::int AS \"Value\" FROM audit_event_viewers v WHERE NOT EXISTS (SELECT 1 FROM audit_events e WHERE e.id = v.event_id)").SingleAsync()));
        Assert.Contains(appId, (await AllEventsAsync(client)).Select(e => (string)e["resource"]!["id"]!));
        Assert.Equal(1, await service.QueryDbAsync(db => db.Database.SqlQuery<int>(
            $"SELECT count(*)::int AS \"Value\" FROM idempotency_records WHERE scope = {tenant.KeyId}").SingleAsync()));
    }

    [Fact]
    public async Task AnInstanceWhoseClockRunsAYearAhead_PrunesNothingTheDatabaseStillKeeps()
    {
        // Its clock a year ahead (NTP gone wrong on one host), an instance deleted every event and every stored answer at its
        // start, and a retried Idempotency-Key then ran again (a probe). Past its retention is by the database's clock now.
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow.AddDays(366));
        var database = await service.Postgres.CreateMigratedDatabaseAsync("prune_ahead_" + Guid.NewGuid().ToString("N")[..8]);
        await using var ahead = new ConfiguredServiceFactory(database, ServiceFixture.RootKeySettings(), clock);
        using var root = await ahead.CreateRootClientAsync();
        await root.CreateAppAsync("Kept");
        using (var keyed = new HttpRequestMessage(HttpMethod.Post, "/v2/apps") { Content = Http.Json(new { displayName = "Keyed" }) })
        {
            keyed.Headers.Add("Idempotency-Key", "written-by-this-instance");
            Assert.Equal(HttpStatusCode.Created, (await root.SendAsync(keyed)).StatusCode);
        }

        // Its stored answer is stamped by the database's clock too (else one an hour slow lost its answers an hour early).
        Assert.Equal(1, await Sql.CountAsync(database,
            "SELECT count(*)::int FROM idempotency_records WHERE key = 'written-by-this-instance' AND created_at BETWEEN now() - interval '1 minute' AND now()"));
        await Sql.ExecuteAsync(database, $"""
            INSERT INTO idempotency_records (scope, key, fingerprint, status, protected_body, created_at)
            VALUES ('{ServiceFixture.RootKeyId}', 'written-by-another-instance', '\x00', 201, '\x00', now())
            """);
        var events = await Sql.CountAsync(database, "SELECT count(*)::int FROM audit_events");
        Assert.True(events > 0);

        await ahead.Services.GetRequiredService<RetentionPruner>().PruneAsync(CancellationToken.None);

        Assert.Equal(events, await Sql.CountAsync(database, "SELECT count(*)::int FROM audit_events"));
        Assert.Equal(2, await Sql.CountAsync(database, "SELECT count(*)::int FROM idempotency_records"));
    }
}
