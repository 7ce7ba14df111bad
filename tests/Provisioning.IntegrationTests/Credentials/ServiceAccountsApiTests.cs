using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.JsonWebTokens;
using Provisioning.Domain.Common;
using Provisioning.Domain.Credentials;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Credentials;

[Collection(ServiceTestCollection.Name)]
public sealed class ServiceAccountsApiTests(ServiceFixture service)
{
    [Fact]
    public async Task ATenantOfTwentyThousandServiceAccounts_IsDeleted()
    {
        // Each account's deletion frees its name, and the trigger that gives a freed name back to a suffixed account looked
        // at every account of the tenant each time: 20,000 were never deleted (503 after 30 s, rolled back; a probe).
        var doomed = await service.NewTenantAsync(name: "Twenty thousand accounts");
        await Sql.ExecuteAsync(service.ConnectionString, $"""
            INSERT INTO service_accounts (id, tenant_id, display_name, normalized_name, created_at)
            SELECT substr(md5(random()::text || g), 1, 24), '{doomed.TenantId}', 'bulk ' || g, 'BULK ' || g, now()
            FROM generate_series(1, 20000) AS g
            """);

        // The trigger's search for an heir (migration SuffixedNamesHeirInOrder), as plpgsql keeps it once generic: through
        // the index of suffixed accounts (SuffixedHeirsIndexUsable; the name compared as HeirKeysWhateverTheLocale does), not a walk of the tenant's accounts. Where PostgreSQL
        // has ICU: without it there is no trigger.
        await using (var connection = new Npgsql.NpgsqlConnection(service.ConnectionString))
        {
            await connection.OpenAsync();
            await using var trigger = new Npgsql.NpgsqlCommand("SELECT to_regproc('service_accounts_return_suffixed_key') IS NOT NULL", connection);
            if ((bool)(await trigger.ExecuteScalarAsync())!)
            {
                await using (var prepare = new Npgsql.NpgsqlCommand("""
                    ANALYZE service_accounts;
                    SET plan_cache_mode = force_generic_plan;
                    PREPARE heir(varchar, varchar) AS SELECT s.id FROM service_accounts s
                        WHERE s.tenant_id = $1
                          AND right(s.normalized_name, 25) COLLATE "C" = ' ' || s.id
                          AND upper(btrim(s.display_name) COLLATE "C") COLLATE canonical = $2
                        ORDER BY s.created_at, s.id;
                    """, connection))
                {
                    await prepare.ExecuteNonQueryAsync();
                }

                await using var explain = new Npgsql.NpgsqlCommand($"EXPLAIN EXECUTE heir('{doomed.TenantId}', 'BULK 5')", connection);
                var plan = string.Join("\n", await ReadAllAsync(explain));
                Assert.Contains("ix_service_accounts_suffixed_heirs", plan);
            }
        }

        await service.Root().DeleteJsonAsync($"/v2/tenants/{doomed.TenantId}");

        Assert.Equal(0, await Sql.CountAsync(service.ConnectionString, "SELECT count(*)::int FROM service_accounts WHERE tenant_id = $1", doomed.TenantId));
    }

    private static async Task<List<string>> ReadAllAsync(Npgsql.NpgsqlCommand command)
    {
        var lines = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            lines.Add(reader.GetString(0));
        }

        return lines;
    }

    [Fact]
    public async Task ServiceAccounts_CreateGetRenameListDelete()
    {
        var tenant = await service.NewTenantAsync();
        var client = tenant.Client();

        var created = (await client.PostJsonAsync("/v2/serviceaccounts", new { displayName = " Acme deployment " }, HttpStatusCode.Created))["serviceAccount"]!;
        var id = (string)created["id"]!;
        Assert.True(IdGenerator.IsValid(id));
        Assert.Equal("Acme deployment", (string?)created["displayName"]);
        Assert.NotNull(created["createdAt"]);

        Assert.Equal("Acme deployment", (string?)(await client.GetJsonAsync($"/v2/serviceaccounts/{id}"))["serviceAccount"]!["displayName"]);
        var renamed = await client.PatchJsonAsync($"/v2/serviceaccounts/{id}", new { displayName = "Renamed" });
        Assert.Equal("Renamed", (string?)renamed["serviceAccount"]!["displayName"]);

        await client.PostJsonAsync("/v2/serviceaccounts", new { displayName = "Second" }, HttpStatusCode.Created);
        var page = await client.GetJsonAsync("/v2/serviceaccounts?page[size]=1");
        Assert.Equal(id, (string?)page["serviceAccounts"]![0]!["id"]);
        Assert.True((bool)page["meta"]!["hasMore"]!);
        Assert.Contains("page[after]=", (string?)page["links"]!["next"]);

        Assert.Empty((await client.DeleteJsonAsync($"/v2/serviceaccounts/{id}")).AsObject());
        Http.AssertV2Error(await client.GetJsonAsync($"/v2/serviceaccounts/{id}", HttpStatusCode.NotFound), "not_found");
        Assert.False(await service.QueryDbAsync(db => db.ServiceAccounts.AnyAsync(s => s.Id == new ServiceAccountId(id))));
    }

    [Theory]
    [InlineData("Acme", "acme")]
    [InlineData("Acme", "  ACME ")]
    [InlineData("Caf\u00e9", "Cafe\u0301")] // "é" as one code point, then as "e" and a combining acute accent
    [InlineData("CAFE\u0301", "caf\u00e9")]
    [InlineData("\u212Bngstr\u00f6m", "\u00c5ngstro\u0308m")] // the Angstrom sign is canonically "Å"
    [InlineData("Acme", "Ac\u200Bme")] // a zero-width space inside shows nothing
    [InlineData("Q\u0323\u0307", "Q\u0307\u0323")] // two combining marks in either order (ICU compares them so only with normalization on)
    [InlineData("\u01F0a", "j\u030Ca")] // "ǰ" has no upper case of its own: upper-cased keys differed in case alone
    [InlineData("\u1E96a", "h\u0331a")]
    [InlineData("stra\u00DFe", "STRA\u1E9EE")] // ß and its capital
    [InlineData("\uFF21cme", "Acme")] // a fullwidth letter
    public async Task CreateServiceAccount_WithDuplicateNameInAnyCase_Returns409AndCreatesNothing(string first, string second)
    {
        var tenant = await service.NewTenantAsync();
        var client = tenant.Client();
        await client.PostJsonAsync("/v2/serviceaccounts", new { displayName = first }, HttpStatusCode.Created);

        Http.AssertV2Error(await client.PostJsonAsync("/v2/serviceaccounts", new { displayName = second }, HttpStatusCode.Conflict), "conflict");
        Assert.Equal(1, await service.QueryDbAsync(db => db.ServiceAccounts.CountAsync(s => s.TenantId == new TenantId(tenant.TenantId))));

        // Another tenant may use the name.
        var other = await service.NewTenantAsync();
        await other.Client().PostJsonAsync("/v2/serviceaccounts", new { displayName = second }, HttpStatusCode.Created);
    }

    [Theory]
    [InlineData("Cafe", "Caf\u00e9")] // accents count
    [InlineData("i", "\u0131")] // dotless i is another letter
    [InlineData("Strasse", "Stra\u00DFe")]
    public async Task NamesThatAreNotTheSameText_AreTwoAccounts(string first, string second)
    {
        using var client = (await service.NewTenantAsync()).Client();
        await client.PostJsonAsync("/v2/serviceaccounts", new { displayName = first }, HttpStatusCode.Created);
        await client.PostJsonAsync("/v2/serviceaccounts", new { displayName = second }, HttpStatusCode.Created);
    }

    [Fact]
    public async Task RenameServiceAccount_ToAnotherOnesName_Returns409_ButToItsOwnNameInOtherCaseIsFine()
    {
        var client = (await service.NewTenantAsync()).Client();
        var a = await client.CreateServiceAccountAsync("Alpha");
        await client.CreateServiceAccountAsync("Beta");

        Http.AssertV2Error(await client.PatchJsonAsync($"/v2/serviceaccounts/{a.Id}", new { displayName = "BETA" }, HttpStatusCode.Conflict), "conflict");
        var c = await client.CreateServiceAccountAsync("Caf\u00e9");
        Http.AssertV2Error(await client.PatchJsonAsync($"/v2/serviceaccounts/{a.Id}", new { displayName = "CAFE\u0301" }, HttpStatusCode.Conflict), "conflict");
        var decomposed = await client.PatchJsonAsync($"/v2/serviceaccounts/{c.Id}", new { displayName = "Cafe\u0301" });
        Assert.Equal("Cafe\u0301", (string?)decomposed["serviceAccount"]!["displayName"]); // its own name in another form: stored as sent
        var body = await client.PatchJsonAsync($"/v2/serviceaccounts/{a.Id}", new { displayName = "ALPHA" });
        Assert.Equal("ALPHA", (string?)body["serviceAccount"]!["displayName"]);
    }

    [Theory]
    [InlineData("Race", "RACE")]
    [InlineData("R\u00e9sum\u00e9", "Re\u0301sume\u0301")]
    public async Task ConcurrentCreates_WithTheSameName_LeaveExactlyOne(string name, string sameName)
    {
        var tenant = await service.NewTenantAsync();
        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(async i =>
        {
            var sent = i % 2 == 0 ? name : sameName;
            using var response = await tenant.Client().PostAsync("/v2/serviceaccounts", Http.Json(new { displayName = sent }));
            return (response.StatusCode, Sent: sent, Body: await response.Content.ReadAsStringAsync());
        }));
        var responses = answers.Select(a => a.StatusCode).ToList();

        Assert.Equal(1, responses.Count(s => s == HttpStatusCode.Created));
        Assert.All(responses.Where(s => s != HttpStatusCode.Created), s => Assert.Equal(HttpStatusCode.Conflict, s));
        // Refused by the pre-check or, racing, by the unique index: the same answer naming the name either way.
        Assert.All(answers.Where(a => a.StatusCode == HttpStatusCode.Conflict), a =>
            Assert.Contains($"A service account named '{a.Sent}' already exists.", Http.Titles(System.Text.Json.Nodes.JsonNode.Parse(a.Body)!)));
        Assert.Equal(1, await service.QueryDbAsync(db => db.ServiceAccounts.CountAsync(s => s.TenantId == new TenantId(tenant.TenantId))));
    }

    [Theory]
    [InlineData("""{}""", "displayName")]
    [InlineData("""{"displayName":"  "}""", "displayName")]
    [InlineData("""{"displayName":7}""", "displayName")]
    public async Task CreateServiceAccount_WithBadInput_Returns400(string json, string field)
    {
        var client = (await service.NewTenantAsync()).Client();
        var body = await client.PostJsonAsync("/v2/serviceaccounts", Http.Json(json), HttpStatusCode.BadRequest);
        Http.AssertV2Error(body, "bad_request");
        Assert.Contains(field, Http.Titles(body));
        var longName = await client.PostJsonAsync("/v2/serviceaccounts", new { displayName = new string('n', 101) }, HttpStatusCode.BadRequest);
        Assert.Contains("displayName", Http.Titles(longName));
    }

    [Theory]
    [InlineData("/v2/serviceaccounts/{0}")]
    [InlineData("/v2/serviceaccounts/{0}/keys")]
    [InlineData("/v2/serviceaccounts/{0}/apps")]
    public async Task UnknownOrMalformedServiceAccount_Returns404(string route)
    {
        var client = (await service.NewTenantAsync()).Client();
        foreach (var id in new[] { IdGenerator.NewId(), "nope", "%27--" })
        {
            Http.AssertV2Error(await client.GetJsonAsync(string.Format(route, id), HttpStatusCode.NotFound), "not_found");
        }
    }

    [Fact]
    public async Task ServiceAccountKeys_ShowSecretsAndAreLimitedToTen()
    {
        var tenant = await service.NewTenantAsync();
        var client = tenant.Client();
        var sa = await client.CreateServiceAccountAsync();

        var listed = (await client.GetJsonAsync($"/v2/serviceaccounts/{sa.Id}/keys"))["keys"]!.AsArray();
        Assert.Equal(sa.Key.Id, (string?)listed.Single()!["id"]);
        Assert.Equal(sa.Key.Secret, (string?)listed.Single()!["secret"]);
        Assert.StartsWith("svc_", sa.Key.Id);
        var one = (await client.GetJsonAsync($"/v2/serviceaccounts/{sa.Id}/keys/{sa.Key.Id}"))["key"]!;
        Assert.Equal(sa.Key.Secret, (string?)one["secret"]);
        Assert.True(one.AsObject().ContainsKey("lastUsedAt"));

        for (var i = 1; i < 10; i++)
        {
            await client.CreateServiceAccountKeyAsync(sa.Id);
        }

        var eleventh = await client.PostJsonAsync($"/v2/serviceaccounts/{sa.Id}/keys", new { displayName = "11th" }, HttpStatusCode.BadRequest);
        Http.AssertV2Error(eleventh, "bad_request");
        Assert.Equal(10, await service.QueryDbAsync(db => db.ApiKeys.CountAsync(k => k.ServiceAccountId == new ServiceAccountId(sa.Id))));

        // Secrets are encrypted at rest.
        var stored = await service.QueryDbAsync(db => db.ApiKeys.AsNoTracking().SingleAsync(k => k.Id == new KeyId(sa.Key.Id)));
        Assert.DoesNotContain(sa.Key.Secret, System.Text.Encoding.UTF8.GetString(stored.ProtectedSecret.Span));
    }

    [Fact]
    public async Task ServiceAccountKey_OfAnotherAccountOrKind_Is404()
    {
        var client = (await service.NewTenantAsync()).Client();
        var a = await client.CreateServiceAccountAsync();
        var b = await client.CreateServiceAccountAsync();
        Http.AssertV2Error(await client.GetJsonAsync($"/v2/serviceaccounts/{a.Id}/keys/{b.Key.Id}", HttpStatusCode.NotFound), "not_found");
        Http.AssertV2Error(await client.DeleteJsonAsync($"/v2/serviceaccounts/{a.Id}/keys/{b.Key.Id}", HttpStatusCode.NotFound), "not_found");
        Http.AssertV2Error(await client.GetJsonAsync($"/v2/serviceaccounts/{a.Id}/keys/act_{IdGenerator.NewId()}", HttpStatusCode.NotFound), "not_found");
        Assert.True(await service.QueryDbAsync(db => db.ApiKeys.AnyAsync(k => k.Id == new KeyId(b.Key.Id))));
    }

    [Fact]
    public async Task IssuedJwt_IsHs256WithKidScopeIatExp_AndAuthenticates()
    {
        var client = (await service.NewTenantAsync()).Client();
        var sa = await client.CreateServiceAccountAsync();
        var jwt = (string)(await client.GetJsonAsync($"/v2/serviceaccounts/{sa.Id}/keys/{sa.Key.Id}/jwt"))["jwt"]!;

        var token = new JsonWebToken(jwt);
        Assert.Equal("HS256", token.Alg);
        Assert.Equal(sa.Key.Id, token.Kid);
        Assert.Equal("account", token.GetClaim("scope").Value);
        Assert.InRange(token.ValidTo - token.IssuedAt, TimeSpan.FromMinutes(59), TimeSpan.FromMinutes(61));

        var app = await service.WithBearer(jwt).CreateAppAsync("Made with an issued JWT");
        Assert.True(await service.QueryDbAsync(db => db.AppGrants.AnyAsync(g => g.AppId == new AppId(app) && g.ServiceAccountId == new ServiceAccountId(sa.Id))));
    }

    [Fact]
    public async Task ServiceAccountKeyJwt_MustSayScopeAccount()
    {
        var client = (await service.NewTenantAsync()).Client();
        var sa = await client.CreateServiceAccountAsync();
        await service.WithBearer(Jwt.ForKey(sa.Key.Id, sa.Key.Secret, scope: "account")).GetJsonAsync("/v2/apps");
        Http.AssertV2Error(await service.WithBearer(Jwt.ForKey(sa.Key.Id, sa.Key.Secret, scope: "app")).GetJsonAsync("/v2/apps", HttpStatusCode.Unauthorized), "unauthorized");
        Http.AssertV2Error(await service.WithBearer(Jwt.ForKey(sa.Key.Id, sa.Key.Secret + "x")).GetJsonAsync("/v2/apps", HttpStatusCode.Unauthorized), "unauthorized");
    }

    [Fact]
    public async Task ServiceAccount_SeesOnlyItsApps_AndGrantsOpenAndCloseAccess()
    {
        var tenant = await service.NewTenantAsync();
        var account = tenant.Client();
        var sa = await account.CreateServiceAccountAsync();
        var svc = service.Basic(sa.Key);

        var own = await svc.CreateAppAsync("Own");
        var other = await account.CreateAppAsync("Not granted");

        var visible = (await svc.GetJsonAsync("/v2/apps"))["apps"]!.AsArray().Select(a => (string)a!["id"]!).ToList();
        Assert.Equal([own], visible);
        Http.AssertV2Error(await svc.GetJsonAsync($"/v2/apps/{other}", HttpStatusCode.NotFound), "app_not_found");

        Assert.Empty((await account.PutJsonAsync($"/v2/serviceaccounts/{sa.Id}/apps/{other}", null)).AsObject());
        await account.PutJsonAsync($"/v2/serviceaccounts/{sa.Id}/apps/{other}", null); // idempotent
        Assert.Equal("Not granted", (string?)(await svc.GetJsonAsync($"/v2/apps/{other}"))["app"]!["displayName"]);
        var granted = (await account.GetJsonAsync($"/v2/serviceaccounts/{sa.Id}/apps"))["apps"]!.AsArray().Select(a => (string)a!["id"]!);
        Assert.Equal([own, other], granted);

        await account.DeleteJsonAsync($"/v2/serviceaccounts/{sa.Id}/apps/{other}");
        Http.AssertV2Error(await svc.GetJsonAsync($"/v2/apps/{other}", HttpStatusCode.NotFound), "app_not_found");
        Http.AssertV2Error(await account.DeleteJsonAsync($"/v2/serviceaccounts/{sa.Id}/apps/{other}", HttpStatusCode.NotFound), "not_found");
        Assert.True(await service.QueryDbAsync(db => db.Apps.AnyAsync(a => a.Id == new AppId(other))));
    }

    [Fact]
    public async Task Grant_OfAnotherTenantsApp_Is404()
    {
        var account = (await service.NewTenantAsync()).Client();
        var sa = await account.CreateServiceAccountAsync();
        var foreignApp = await (await service.NewTenantAsync()).Client().CreateAppAsync();
        Http.AssertV2Error(await account.PutJsonAsync($"/v2/serviceaccounts/{sa.Id}/apps/{foreignApp}", null, HttpStatusCode.NotFound), "app_not_found");
        Assert.False(await service.QueryDbAsync(db => db.AppGrants.AnyAsync(g => g.AppId == new AppId(foreignApp))));
    }

    [Fact]
    public async Task FilterByServiceAccount_ListsItsApps_AndIs403ForAnotherServiceAccountsCaller()
    {
        var account = (await service.NewTenantAsync()).Client();
        var a = await account.CreateServiceAccountAsync();
        var b = await account.CreateServiceAccountAsync();
        var appOfA = await service.Basic(a.Key).CreateAppAsync("A's");
        await service.Basic(b.Key).CreateAppAsync("B's");

        var filtered = await account.GetJsonAsync($"/v2/apps?filter[serviceAccountId]={a.Id}&page[size]=10");
        Assert.Equal([appOfA], filtered["apps"]!.AsArray().Select(x => (string)x!["id"]!));
        await service.Basic(a.Key).GetJsonAsync($"/v2/apps?filter[serviceAccountId]={a.Id}");
        Http.AssertV2Error(await service.Basic(a.Key).GetJsonAsync($"/v2/apps?filter[serviceAccountId]={b.Id}", HttpStatusCode.Forbidden), "forbidden");
        Http.AssertV2Error(await account.GetJsonAsync($"/v2/apps?filter[serviceAccountId]={IdGenerator.NewId()}", HttpStatusCode.NotFound), "not_found");

        // The filter rides along in the paging links: following them walks A's apps only, forward and back.
        var more = new[] { await service.Basic(a.Key).CreateAppAsync("A's 2"), await service.Basic(a.Key).CreateAppAsync("A's 3") };
        await service.Basic(b.Key).CreateAppAsync("B's 2");
        var first = await account.GetJsonAsync($"/v2/apps?filter[serviceAccountId]={a.Id}&page[size]=2");
        var next = (string)first["links"]!["next"]!;
        Assert.Contains($"filter%5BserviceAccountId%5D={a.Id}", next.Replace("filter[serviceAccountId]", "filter%5BserviceAccountId%5D", StringComparison.Ordinal));
        var second = await account.GetJsonAsync(next);
        Assert.Equal([appOfA, .. more], first["apps"]!.AsArray().Concat(second["apps"]!.AsArray()).Select(x => (string)x!["id"]!));
        Assert.Null(second["links"]!["next"]);
        var back = await account.GetJsonAsync((string)second["links"]!["prev"]!);
        Assert.Equal([appOfA, more[0]], back["apps"]!.AsArray().Select(x => (string)x!["id"]!));
    }

    [Fact]
    public async Task DeletingAServiceAccount_KeepsItsApps_AndRemovesKeysAndGrants()
    {
        var account = (await service.NewTenantAsync()).Client();
        var sa = await account.CreateServiceAccountAsync();
        var app = await service.Basic(sa.Key).CreateAppAsync();

        await account.DeleteJsonAsync($"/v2/serviceaccounts/{sa.Id}");

        Assert.True(await service.QueryDbAsync(db => db.Apps.AnyAsync(a => a.Id == new AppId(app))));
        Assert.False(await service.QueryDbAsync(db => db.ApiKeys.AnyAsync(k => k.ServiceAccountId == new ServiceAccountId(sa.Id))));
        Assert.False(await service.QueryDbAsync(db => db.AppGrants.AnyAsync(g => g.ServiceAccountId == new ServiceAccountId(sa.Id))));
    }
}
