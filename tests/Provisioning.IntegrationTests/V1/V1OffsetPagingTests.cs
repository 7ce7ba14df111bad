using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Provisioning.Domain.Apps;
using Provisioning.Infrastructure;
using Provisioning.Infrastructure.Persistence;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.V1;

/// <summary>
/// The v1.1 lists of apps, of service accounts and of a service account's apps page by keyset under the hood (a page's
/// start is remembered with the version of the rows it was read under): whatever was remembered, every answer must be the
/// one ORDER BY id OFFSET n gives for the rows as they are now — after creates, deletes, renames, grants and revocations,
/// and for callers that see less than the whole tenant. Starts are remembered from offset
/// <see cref="RememberedOffsetPages{TEntity}.ReadDirectlyBelow"/> on (shallower pages are read directly), so each list
/// begins with that many rows written in SQL, and the pages these tests ask for lie beyond them.
/// </summary>
[Collection(ServiceTestCollection.Name)]
public sealed class V1OffsetPagingTests(ServiceFixture service)
{
    /// <summary>
    /// A v1.1 list: its path under /v1.1 and /v2, the answer's array, the v2 create's answer's object, and the SQL that
    /// names one of its rows (completed by the row's id). <see cref="Granted"/> is a service account's apps, listed and
    /// created by the account's own key (an app it creates is granted to it).
    /// </summary>
    private sealed record Listed(string Path, string Array, string Created, string Row)
    {
        public static readonly Listed Apps = new("apps", "apps", "app", "apps WHERE id = ");
        public static readonly Listed ServiceAccounts = new("serviceaccounts", "serviceAccounts", "serviceAccount", "service_accounts WHERE id = ");
        public static readonly Listed Granted = new("apps", "apps", "app", "app_grants WHERE app_id = ");

        public static Listed Of(string name) => name switch { "apps" => Apps, "serviceaccounts" => ServiceAccounts, _ => Granted };

        public async Task<string> CreateAsync(HttpClient client, string name) =>
            (string)(await client.PostJsonAsync($"/v2/{Path}", new { displayName = name }, HttpStatusCode.Created))[Created]!["id"]!;

        /// <summary>
        /// The client that lists, creates, renames and deletes — the tenant's account key, or a new service account's —
        /// and the list's first <see cref="Deep"/> rows, written in SQL (ids of <c>00</c>, the tenant's last eight characters and a number: before any the service makes).
        /// </summary>
        public async Task<(HttpClient Client, List<string> Ids, TestServiceAccount? ServiceAccount)> SetUpAsync(ServiceFixture service, TestTenant tenant)
        {
            using var account = tenant.Client();
            var sa = this == Granted ? await account.CreateServiceAccountAsync() : null;
            var prefix = "00" + tenant.TenantId[^8..];
            var id = $"'{prefix}' || lpad(to_hex(g), 14, '0')";
            var tenantRow = $"VALUES ('{tenant.TenantId}')";
            await Sql.ExecuteAsync(service.ConnectionString, this == ServiceAccounts
                ? $"""
                  INSERT INTO service_accounts (id, tenant_id, display_name, normalized_name, created_at)
                  SELECT {id}, t.id, 'seeded ' || g, 'SEEDED ' || g, now() FROM generate_series(1, {Deep}) AS g, ({tenantRow}) AS t(id)
                  """
                : Sql.InsertAppsSql(tenantRow, Deep, id) + (sa is null ? "" : $"""
                  ;
                  INSERT INTO app_grants (service_account_id, app_id, created_at)
                  SELECT '{sa.Id}', id, now() FROM apps WHERE tenant_id = '{tenant.TenantId}'
                  """));
            return (sa is null ? tenant.Client() : service.Basic(sa.Key), [.. Enumerable.Range(1, Deep).Select(g => prefix + g.ToString("x14"))], sa);
        }
    }

    /// <summary>How many rows each list begins with: the first offset whose start is remembered.</summary>
    private const int Deep = RememberedOffsetPages<App>.ReadDirectlyBelow;

    public static TheoryData<string> Lists => ["apps", "serviceaccounts", "granted"];

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
    public async Task Pages_StayExact_WhileRowsAreCreatedDeletedAndRenamed_BetweenRequests(string name)
    {
        var list = Listed.Of(name);
        var tenant = await service.NewTenantAsync();
        var (client, ids, _) = await list.SetUpAsync(service, tenant);
        using var _ = client;
        for (var i = 0; i < 23; i++)
        {
            ids.Add(await list.CreateAsync(client, $"P{i}"));
        }

        Task<(List<string> Ids, bool HasMore, int Offset)> PageAsync(HttpClient client, int offset, int limit) =>
            V1OffsetPagingTests.PageAsync(client, offset, limit, list: list);

        // A client paging through (offset += limit) from a shallow page, then the same pages again: every page as OFFSET gives it.
        for (var round = 0; round < 2; round++)
        {
            for (var offset = Deep - 5; offset <= Deep + 25; offset += 5)
            {
                AssertPage(ids, offset, 5, await PageAsync(client, offset, 5));
            }
        }

        // A delete before a remembered start shifts every later page by one.
        await client.DeleteJsonAsync($"/v2/{list.Path}/{ids[Deep + 3]}");
        ids.RemoveAt(Deep + 3);
        AssertPage(ids, Deep + 10, 5, await PageAsync(client, Deep + 10, 5));
        AssertPage(ids, Deep + 15, 5, await PageAsync(client, Deep + 15, 5));

        // A delete of the very row a remembered page starts at.
        await client.DeleteJsonAsync($"/v2/{list.Path}/{ids[Deep + 10]}");
        ids.RemoveAt(Deep + 10);
        AssertPage(ids, Deep + 10, 5, await PageAsync(client, Deep + 10, 5));

        // New rows come last; the last pages see them.
        for (var offset = Deep; offset <= Deep + 20; offset += 5)
        {
            await PageAsync(client, offset, 5);
        }

        ids.Add(await list.CreateAsync(client, "late 1"));
        ids.Add(await list.CreateAsync(client, "late 2"));
        AssertPage(ids, Deep + 20, 5, await PageAsync(client, Deep + 20, 5));

        // A rename changes no position; the page shows the new name.
        await client.PatchJsonAsync($"/v2/{list.Path}/{ids[Deep + 6]}", new { displayName = "renamed" });
        var renamed = await client.GetJsonAsync($"/v1.1/{list.Path}?limit=5&offset={Deep + 5}");
        Assert.Equal("renamed", (string?)renamed[list.Array]![1]!["name"]);
        AssertPage(ids, Deep + 5, 5, await PageAsync(client, Deep + 5, 5));

        // Other limits from a remembered offset, past the end, and the exact end.
        AssertPage(ids, Deep + 5, 7, await PageAsync(client, Deep + 5, 7));
        AssertPage(ids, Deep + 10, 100, await PageAsync(client, Deep + 10, 100));
        AssertPage(ids, ids.Count, 5, await PageAsync(client, ids.Count, 5));
        AssertPage(ids, ids.Count + 50, 5, await PageAsync(client, ids.Count + 50, 5));
    }

    [Fact]
    public async Task GrantedPages_StayExact_WhenGrantsAreMadeAndRevoked_BetweenRequests()
    {
        // A service account's apps change without any app being created or deleted: by grants and revocations, which the
        // account's own version follows (migration ServiceAccountGrantVersions). Each change comes after every page has
        // been read, so each page's start is remembered under the version before it.
        var tenant = await service.NewTenantAsync();
        using var account = tenant.Client();
        var (asService, granted, serviceAccount) = await Listed.Granted.SetUpAsync(service, tenant);
        using var _ = asService;
        var sa = serviceAccount!;
        var apps = new List<string>();
        for (var i = 0; i < 30; i++)
        {
            apps.Add(await account.CreateAppAsync($"G{i}"));
        }

        foreach (var app in apps.Where((_, i) => i % 2 == 0))
        {
            await account.PutJsonAsync($"/v2/serviceaccounts/{sa.Id}/apps/{app}", null);
            granted.Add(app);
        }

        var filter = $"&serviceAccountId={sa.Id}";
        async Task AssertEveryPageAsync()
        {
            // Deepest first: a page also remembers where the next one starts, which would mend a stale start before it is asked for.
            for (var offset = Deep + 20; offset >= Deep - 5; offset -= 5)
            {
                AssertPage(granted, offset, 5, await PageAsync(asService, offset, 5));
                AssertPage(granted, offset, 5, await PageAsync(account, offset, 5, filter));
            }
        }

        await AssertEveryPageAsync();
        await AssertEveryPageAsync(); // from remembered starts

        // Revoked before remembered starts: every later page moves up by one.
        await account.DeleteJsonAsync($"/v2/serviceaccounts/{sa.Id}/apps/{granted[Deep + 2]}");
        granted.RemoveAt(Deep + 2);
        await AssertEveryPageAsync();

        // An older app granted: it takes its place in id order, and every later page moves down by one.
        await account.PutJsonAsync($"/v2/serviceaccounts/{sa.Id}/apps/{apps[1]}", null);
        granted.Insert(Deep + 1, apps[1]);
        await AssertEveryPageAsync();

        // Granted again: nothing changes. A granted app deleted (its grant goes with it), an app no one granted created.
        await account.PutJsonAsync($"/v2/serviceaccounts/{sa.Id}/apps/{apps[1]}", null);
        await AssertEveryPageAsync();
        await account.DeleteJsonAsync($"/v2/apps/{granted[Deep + 3]}");
        granted.RemoveAt(Deep + 3);
        await AssertEveryPageAsync();
        await account.CreateAppAsync("not granted");
        await AssertEveryPageAsync();
        Assert.Equal(Deep + 14, granted.Count);
    }

    [Theory]
    [MemberData(nameof(Lists))]
    public async Task RememberedStarts_AreForgotten_WhenTheListenerReconnects_AsAfterARestore(string name)
    {
        var list = Listed.Of(name);
        // A restore to an earlier point hands the same transaction ids out again, so a tenant's rows can differ under the
        // same version (its counter rows' xmin). Here a row goes without the counter triggers (replica mode), which leaves
        // the version as it was, as such a restore can; the restore ends every session, so the listener's reconnection is
        // when the instance forgets what it remembered (a probe: a running instance served shifted pages after a PITR).
        var tenant = await service.NewTenantAsync();
        var (client, ids, _) = await list.SetUpAsync(service, tenant);
        using var _ = client;
        for (var i = 0; i < 15; i++)
        {
            ids.Add(await list.CreateAsync(client, $"R{i}"));
        }

        Task<(List<string> Ids, bool HasMore, int Offset)> PageAsync(HttpClient client, int offset, int limit) =>
            V1OffsetPagingTests.PageAsync(client, offset, limit, list: list);

        AssertPage(ids, Deep + 10, 5, await PageAsync(client, Deep + 10, 5));
        await Sql.ExecuteAsync(service.ConnectionString, $"SET session_replication_role = replica; DELETE FROM {list.Row}'{ids[Deep + 3]}'");
        var stale = await PageAsync(client, Deep + 10, 5);
        // The premise, which also shows the list answers from a remembered start: the page as it was, under an unchanged version.
        Assert.Equal(ids.Skip(Deep + 10).Take(5), stale.Ids);
        ids.RemoveAt(Deep + 3);

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
        AssertPage(ids, Deep + 10, 5, await PageAsync(client, Deep + 10, 5));
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
