using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Provisioning.Infrastructure;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.V1;

/// <summary>
/// The v1.1 lists of apps and of service accounts page by keyset under the hood (a page's start is remembered with the
/// version of the tenant's rows it was read under): whatever was remembered, every answer must be the one ORDER BY id
/// OFFSET n gives for the rows as they are now — after creates, deletes, renames, and for callers that see less than the
/// whole tenant.
/// </summary>
[Collection(ServiceTestCollection.Name)]
public sealed class V1OffsetPagingTests(ServiceFixture service)
{
    /// <summary>A v1.1 list: its path under /v1.1 and /v2, the answer's array, and the v2 create's answer's object.</summary>
    private sealed record Listed(string Path, string Array, string Created)
    {
        public static readonly Listed Apps = new("apps", "apps", "app");
        public static readonly Listed ServiceAccounts = new("serviceaccounts", "serviceAccounts", "serviceAccount");

        public static Listed Of(string path) => path == Apps.Path ? Apps : ServiceAccounts;

        public async Task<string> CreateAsync(HttpClient client, string name) =>
            (string)(await client.PostJsonAsync($"/v2/{Path}", new { displayName = name }, HttpStatusCode.Created))[Created]!["id"]!;
    }

    public static TheoryData<string> Lists => [Listed.Apps.Path, Listed.ServiceAccounts.Path];

    private static async Task<(List<string> Ids, bool HasMore, int Offset)> PageAsync(
        HttpClient client, int offset, int limit, string? extra = null, Listed? list = null)
    {
        list ??= Listed.Apps;
        var page = await client.GetJsonAsync($"/v1.1/{list.Path}?limit={limit}&offset={offset}{extra}");
        return ([.. page[list.Array]!.AsArray().Select(a => (string)a!["_id"]!)], (bool)page["hasMore"]!, (int)page["offset"]!);
    }

    /// <summary>What OFFSET paging over <paramref name="ids"/> (in creation order) must answer.</summary>
    private static void AssertPage(List<string> ids, int offset, int limit, (List<string> Ids, bool HasMore, int Offset) page)
    {
        Assert.Equal(ids.Skip(offset).Take(limit), page.Ids);
        Assert.Equal(ids.Count > offset + limit, page.HasMore);
        Assert.Equal(offset, page.Offset);
    }

    [Theory]
    [MemberData(nameof(Lists))]
    public async Task Pages_StayExact_WhileRowsAreCreatedDeletedAndRenamed_BetweenRequests(string path)
    {
        var list = Listed.Of(path);
        var tenant = await service.NewTenantAsync();
        using var client = tenant.Client();
        var ids = new List<string>();
        for (var i = 0; i < 23; i++)
        {
            ids.Add(await list.CreateAsync(client, $"P{i}"));
        }

        Task<(List<string> Ids, bool HasMore, int Offset)> PageAsync(HttpClient client, int offset, int limit) =>
            V1OffsetPagingTests.PageAsync(client, offset, limit, list: list);

        // A client paging through (offset += limit), then the same pages again: every page as OFFSET gives it.
        for (var round = 0; round < 2; round++)
        {
            for (var offset = 0; offset <= 25; offset += 5)
            {
                AssertPage(ids, offset, 5, await PageAsync(client, offset, 5));
            }
        }

        // A delete before a remembered start shifts every later page by one.
        await client.DeleteJsonAsync($"/v2/{list.Path}/{ids[3]}");
        ids.RemoveAt(3);
        AssertPage(ids, 10, 5, await PageAsync(client, 10, 5));
        AssertPage(ids, 15, 5, await PageAsync(client, 15, 5));

        // A delete of the very row a remembered page starts at.
        await client.DeleteJsonAsync($"/v2/{list.Path}/{ids[10]}");
        ids.RemoveAt(10);
        AssertPage(ids, 10, 5, await PageAsync(client, 10, 5));

        // New apps come last; the last pages see them.
        for (var offset = 0; offset <= 20; offset += 5)
        {
            await PageAsync(client, offset, 5);
        }

        ids.Add(await list.CreateAsync(client, "late 1"));
        ids.Add(await list.CreateAsync(client, "late 2"));
        AssertPage(ids, 20, 5, await PageAsync(client, 20, 5));

        // A rename changes no position; the page shows the new name.
        await client.PatchJsonAsync($"/v2/{list.Path}/{ids[6]}", new { displayName = "renamed" });
        var renamed = await client.GetJsonAsync($"/v1.1/{list.Path}?limit=5&offset=5");
        Assert.Equal("renamed", (string?)renamed[list.Array]![1]!["name"]);
        AssertPage(ids, 5, 5, await PageAsync(client, 5, 5));

        // Other limits from a remembered offset, past the end, and the exact end.
        AssertPage(ids, 5, 7, await PageAsync(client, 5, 7));
        AssertPage(ids, 10, 100, await PageAsync(client, 10, 100));
        AssertPage(ids, ids.Count, 5, await PageAsync(client, ids.Count, 5));
        AssertPage(ids, ids.Count + 50, 5, await PageAsync(client, ids.Count + 50, 5));
    }

    [Theory]
    [MemberData(nameof(Lists))]
    public async Task RememberedStarts_AreForgotten_WhenTheListenerReconnects_AsAfterARestore(string path)
    {
        var list = Listed.Of(path);
        // A restore to an earlier point hands the same transaction ids out again, so a tenant's rows can differ under the
        // same version (its counter rows' xmin). Here a row goes without the counter triggers (replica mode), which leaves
        // the version as it was, as such a restore can; the restore ends every session, so the listener's reconnection is
        // when the instance forgets what it remembered (a probe: a running instance served shifted pages after a PITR).
        var tenant = await service.NewTenantAsync();
        using var client = tenant.Client();
        var ids = new List<string>();
        for (var i = 0; i < 15; i++)
        {
            ids.Add(await list.CreateAsync(client, $"R{i}"));
        }

        Task<(List<string> Ids, bool HasMore, int Offset)> PageAsync(HttpClient client, int offset, int limit) =>
            V1OffsetPagingTests.PageAsync(client, offset, limit, list: list);

        AssertPage(ids, 10, 5, await PageAsync(client, 10, 5));
        var table = list == Listed.Apps ? "apps" : "service_accounts";
        await Sql.ExecuteAsync(service.ConnectionString, $"SET session_replication_role = replica; DELETE FROM {table} WHERE id = '{ids[3]}'");
        var stale = await PageAsync(client, 10, 5);
        // The premise, which also shows the list answers from a remembered start: the page as it was, under an unchanged version.
        Assert.Equal(ids.Skip(10).Take(5), stale.Ids);
        ids.RemoveAt(3);

        const string Reconnected = "Credential revocation listener reconnected";
        int Reconnections() => service.Factory.Logs.Lines.Count(line => line.Contains(Reconnected, StringComparison.Ordinal));
        var before = Reconnections();
        var listener = service.Factory.Services.GetRequiredService<ServiceInstance>().ListenerApplicationName;
        Assert.Equal(1, await Sql.CountAsync(service.ConnectionString,
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1", listener));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (Reconnections() == before && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.True(Reconnections() > before, "the listener did not reconnect");
        AssertPage(ids, 10, 5, await PageAsync(client, 10, 5));
        await CachedCredentials.UntilTrustedAsync(service.Factory); // for the tests after this one
    }

    [Fact]
    public async Task ServiceAccountViews_AndOnBehalfOf_PageOverWhatTheCallerSees()
    {
        var tenant = await service.NewTenantAsync();
        using var account = tenant.Client();
        var sa = await account.CreateServiceAccountAsync();
        using var asService = service.Basic(sa.Key);
        var all = new List<string>();
        var granted = new List<string>();
        for (var i = 0; i < 12; i++)
        {
            // The service account creates every third app (and is granted it); the account key makes the rest.
            var id = i % 3 == 0 ? await asService.CreateAppAsync($"S{i}") : await account.CreateAppAsync($"A{i}");
            all.Add(id);
            if (i % 3 == 0)
            {
                granted.Add(id);
            }
        }

        AssertPage(all, 4, 4, await PageAsync(account, 4, 4));
        AssertPage(granted, 1, 2, await PageAsync(asService, 1, 2));
        AssertPage(granted, 2, 2, await PageAsync(account, 2, 2, $"&serviceAccountId={sa.Id}"));

        // The same offsets through On-Behalf-Of from the parent land in the child's own list.
        var child = await account.ProvisionAsync(name: "paged child");
        using var asChild = service.Client(child);
        var childIds = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            childIds.Add(await asChild.CreateAppAsync($"C{i}"));
        }

        using var onBehalf = new HttpRequestMessage(HttpMethod.Get, "/v1.1/apps?limit=3&offset=2");
        onBehalf.Headers.Add("On-Behalf-Of", child.Id);
        using var response = await account.SendAsync(onBehalf);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var page = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(childIds.Skip(2).Take(3), page["apps"]!.AsArray().Select(a => (string)a!["_id"]!));
        AssertPage(all, 4, 4, await PageAsync(account, 4, 4));
    }
}
