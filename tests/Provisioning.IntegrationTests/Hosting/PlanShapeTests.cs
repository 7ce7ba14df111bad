using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Paging;
using Provisioning.Application.Common.Security;
using Provisioning.Domain.Common;
using Provisioning.Domain.Credentials;
using Provisioning.Infrastructure.Audit;
using Provisioning.Infrastructure.Persistence;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Hosting;

/// <summary>
/// Statements are auto-prepared, so PostgreSQL may run one generic plan for every tenant. On skewed data (one tenant
/// holding every event, every app, every child) the generic plan of "one tenant's rows in id order" must still take
/// the tenant's index, not walk the primary key filtering (migration TenantSpreadForGenericPlans). Each shape below is
/// the one a request path sends (tenant view's latest event, whether a viewer sees a deleted tenant's events, event and
/// app pages, a parent's children).
/// </summary>
[Collection(ServiceTestCollection.Name)]
public sealed class PlanShapeTests(ServiceFixture service)
{
    private const string Big = "aaaaaaaaaaaaaaaaaaaaaaaa";
    private const string Small = "bbbbbbbbbbbbbbbbbbbbbbbb";

    private static readonly (string Name, string Sql, string Index)[] Shapes =
    [
        ("latest event of a tenant",
            "SELECT created_at FROM audit_events WHERE tenant_id = $1 ORDER BY id DESC LIMIT 1", "ix_audit_events_tenant_id_id"),
        ("whether a viewer sees a tenant's events (AuditEventReader.SeesEventsOfAsync: its latest event's viewer row)",
            "SELECT EXISTS (SELECT 1 FROM (SELECT id FROM audit_events WHERE tenant_id = $1 ORDER BY id DESC LIMIT 1) e "
            + "WHERE EXISTS (SELECT 1 FROM audit_event_viewers v WHERE v.viewer_tenant_id = $1 AND v.event_id = e.id))",
            "ix_audit_events_tenant_id_id"),
        ("page of a tenant's events",
            "SELECT id, type FROM audit_events WHERE tenant_id = $1 AND id > '0' ORDER BY id LIMIT 26", "ix_audit_events_tenant_id_id"),
        ("page of a tenant's events of one type",
            "SELECT id, type FROM audit_events WHERE tenant_id = $1 AND type = $2 AND id > '0' ORDER BY id LIMIT 26",
            "ix_audit_events_tenant_id_type_id"),
        ("page of the events a tenant may see",
            "SELECT e.id, e.type FROM audit_events e JOIN audit_event_viewers v ON e.id = v.event_id WHERE v.viewer_tenant_id = $1 ORDER BY e.id LIMIT 26",
            "pk_audit_event_viewers"),
        ("page of a tenant's apps",
            "SELECT id, display_name FROM apps WHERE tenant_id = $1 ORDER BY id LIMIT 26", "ix_apps_tenant_id_id"),
        ("page of a parent's children",
            "SELECT id, name FROM tenants WHERE parent_id = $1 ORDER BY id LIMIT 26", "ix_tenants_parent_id_id"),
    ];

    [Fact]
    public async Task GenericPlans_OnSkewedTenants_TakeTheTenantsIndex()
    {
        var connectionString = await service.Postgres.CreateDatabaseAsync("plans_" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            await using var connection = await MigratedAndSeededAsync(connectionString, SeedSkewedSql);

            foreach (var (name, sql, index) in Shapes)
            {
                var plan = await GenericPlanAsync(connection, sql, Small);
                Assert.True(UsesIndexOnTenant(plan, index), $"{name}: the generic plan does not start from {index}:\n{plan}");
            }

            // The control: without the migration's statistics, the first shape's generic plan walks the primary key and
            // filters every event, which is what the test above guards against.
            await ExecuteAsync(connection, "ALTER TABLE audit_events ALTER COLUMN tenant_id RESET (n_distinct); ANALYZE audit_events");
            var unguarded = await GenericPlanAsync(connection, Shapes[0].Sql, Small);
            Assert.False(UsesIndexOnTenant(unguarded, Shapes[0].Index), $"control: expected the primary-key walk without the statistics:\n{unguarded}");
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await service.Postgres.DropDatabaseAsync(new NpgsqlConnectionStringBuilder(connectionString).Database!);
        }
    }

    /// <summary>
    /// Pages of a tenant of 20 000 apps, children and events, under generic and custom plans (custom: every statement
    /// behind a transaction pooler): every statement of a page — the first, after a cursor, before one, and the "is there
    /// a page the other way" question (as EXISTS, a sequential scan under custom plans read every older row) — reads
    /// about one page of rows. The apps are the tenant's own list and a service account's (svc_ <c>GET /v2/apps</c>,
    /// <c>filter[serviceAccountId]</c>, <c>/serviceaccounts/{id}/apps</c>) for an account with one grant (the tenant's
    /// newest app: the generic plan walked every app up to it) and one with 10 000, by cursor and by v1.1 offset; the
    /// events the tenant's and one resource's (<c>filter[resourceId]</c>, where the generic plan walked the viewer's
    /// events), and v1.1 offset pages of the tenant's apps and of its 20 000 service accounts (remembered and cold). The
    /// statements are the ones the handlers send (CallerScope.VisibleApps composed by ToPageAsync, TenantAppPages,
    /// TenantServiceAccountPages, AuditEventReader); auto_explain reports each one's rows.
    /// </summary>
    [Fact]
    public async Task Pages_ReadAboutOnePage_HoweverManyRowsTheTenantHolds()
    {
        var connectionString = await service.Postgres.CreateDatabaseAsync("plans_" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            await using var connection = await MigratedAndSeededAsync(connectionString, SeedSkewedSql + SeedGrantsSql);
            var plans = new List<string>();
            connection.Notice += (_, e) => plans.Add(e.Notice.MessageText);
            await ExecuteAsync(connection,
                "LOAD 'auto_explain'; SET auto_explain.log_min_duration = 0; SET auto_explain.log_analyze = on; "
                + "SET auto_explain.log_format = 'json'; SET auto_explain.log_level = 'notice'");

            await using var db = new ProvisioningDbContext(
                new DbContextOptionsBuilder<ProvisioningDbContext>().UseNpgsql(connection).UseSnakeCaseNamingConvention().Options);
            var tenant = new TenantId(Big);
            var caller = new Caller(new KeyId("act_" + Big), CallerKinds.Account, tenant, tenant);
            const int size = 25;
            var middle = HexId("a", 10001);
            foreach (var mode in new[] { "force_generic_plan", "force_custom_plan" })
            {
                await ExecuteAsync(connection, $"SET plan_cache_mode = {mode}");
                // The tenant's apps (an account key), an account's grants asked by the account key (filter[serviceAccountId],
                // /serviceaccounts/{id}/apps) and by the service account's own key.
                foreach (var (account, asItself) in new[] { (null, false), (OneGrant, false), (ManyGrants, false), (OneGrant, true), (ManyGrants, true) })
                {
                    var asker = asItself
                        ? new Caller(new KeyId("svc_" + account), CallerKinds.ServiceAccount, tenant, tenant, new ServiceAccountId(account!))
                        : caller;
                    foreach (var request in new[] { new PageRequest(size), new PageRequest(size, After: middle), new PageRequest(size, Before: middle) })
                    {
                        plans.Clear();
                        var page = await db.VisibleApps(asker, account is null || asItself ? null : new ServiceAccountId(account))
                            .ToPageAsync(a => a.Id, v => new AppId(v), v => v.Value, request, CancellationToken.None);
                        AssertAboutOnePageRead(plans, size, $"{mode}, {account} (its own key: {asItself}), {request}", "apps", "app_grants");

                        // And the pages are right: the one grant is the newest app; the other account's grants are the odd apps.
                        List<string> all = account == OneGrant
                            ? [HexId("a", 20000)]
                            : [.. Enumerable.Range(0, 20000).Where(n => account is null || n % 2 == 0).Select(n => HexId("a", n + 1))];
                        AssertPage(all, request, size, page.Map(a => a.Id.Value));
                    }
                }

                // The big tenant's 20 000 children (ListTenants' statement), and the small one's none.
                var middleChild = HexId("c", 10001);
                foreach (var parent in new[] { tenant, new TenantId(Small) })
                {
                    foreach (var request in new[] { new PageRequest(size), new PageRequest(size, After: middleChild), new PageRequest(size, Before: middleChild) })
                    {
                        plans.Clear();
                        var page = await db.Tenants.AsNoTracking().Where(t => t.ParentId == parent)
                            .ToPageAsync(t => t.Id, v => new TenantId(v), v => v.Value, request, CancellationToken.None);
                        AssertAboutOnePageRead(plans, size, $"{mode}, children of {parent.Value}, {request}", "tenants");
                        AssertPage(parent == tenant ? [Small, .. Enumerable.Range(1, 20000).Select(n => HexId("c", n))] : [], request, size, page.Map(t => t.Id.Value));
                    }
                }

                // v1.1 pages of the many grants: the first reads one page of grants and apps; a cold deep one counts the
                // rows skipped on the grants' index, and reads only the page's apps; the next page and the same page again
                // start at the remembered app and read about one page of both, the version check included.
                using var anchors = new OffsetAnchors();
                foreach (var (offset, remembered) in new[] { (0, false), (5000, false), (5000 + size, true), (5000, true), (5000 + size, true) })
                {
                    plans.Clear();
                    var byOffset = await new TenantAppPages(db, anchors).GrantedPageAsync(
                        tenant, new ServiceAccountId(ManyGrants), new OffsetPageRequest(Offset: offset, Limit: size), CancellationToken.None);
                    if (remembered)
                    {
                        Assert.Single(plans);
                    }

                    AssertAboutOnePageRead(plans, size, $"{mode}, v1.1 granted at offset {offset} (remembered: {remembered})",
                        offset == 0 || remembered ? ["apps", "app_grants"] : ["apps"]);
                    Assert.Equal(
                        [.. Enumerable.Range(offset, size).Select(i => HexId("a", 1 + (2 * i)))],
                        byOffset.Items.Select(a => a.Id.Value).ToArray());
                    Assert.True(byOffset.HasMore);
                }

                // v1.1 pages of the tenant's 20 000 apps and 20 000 service accounts: a cold deep page counts the rows it
                // skips on the (tenant_id, id) index alone; the next page (offset += limit) and the same page again start at
                // the remembered id and read about one page, the version check included.
                foreach (var (name, table, ids) in new[] { ("apps", "apps", "a"), ("service accounts", "service_accounts", "e") })
                {
                    using var remembered = new OffsetAnchors();
                    async Task<List<string>> V1PageAsync(int offset)
                    {
                        var request = new OffsetPageRequest(Offset: offset, Limit: size);
                        var page = table == "apps"
                            ? (await new TenantAppPages(db, remembered).PageAsync(tenant, request, CancellationToken.None)).Items.Select(a => a.Id.Value)
                            : (await new TenantServiceAccountPages(db, remembered).PageAsync(tenant, request, CancellationToken.None)).Items.Select(a => a.Id.Value);
                        return [.. page];
                    }

                    List<string> Expected(int offset) => [.. Enumerable.Range(offset + 1, size).Select(n => HexId(ids, n))];
                    plans.Clear();
                    Assert.Equal(Expected(10000), await V1PageAsync(10000));
                    foreach (var plan in plans)
                    {
                        // Cold: the 10 000 rows skipped are counted on the index alone, unsorted; only the page's rows are read.
                        Assert.True(RowsRead(plan, table, countIndexOnlyScans: false) <= 3 * (size + 1), $"{mode}, v1.1 {name} cold at 10000:\n{plan}");
                        Assert.DoesNotContain("Sort\"", plan, StringComparison.Ordinal);
                    }

                    foreach (var offset in new[] { 10000 + size, 10000, 10000 + size })
                    {
                        plans.Clear();
                        Assert.Equal(Expected(offset), await V1PageAsync(offset));
                        Assert.Single(plans); // the remembered start served it: one statement
                        AssertAboutOnePageRead(plans, size, $"{mode}, v1.1 {name} at remembered offset {offset}", table);
                    }
                }

                // The tenant's events (the viewer's rows), which page with their own reader: its neighbour checks are
                // EXISTS, which took the viewer's index here in both modes.
                var middleEvent = HexId("00", 10001);
                foreach (var request in new[] { new PageRequest(size), new PageRequest(size, After: middleEvent), new PageRequest(size, Before: middleEvent) })
                {
                    plans.Clear();
                    var page = await new AuditEventReader(db).PageAsync(tenant, new AuditEventFilter(), request, CancellationToken.None);
                    AssertAboutOnePageRead(plans, size, $"{mode}, events, {request}", "audit_events", "audit_event_viewers");
                    AssertPage([.. Enumerable.Range(1, 20000).Select(n => HexId("00", n))], request, size, page.Map(e => e.Id));
                }

                // One resource's events (filter[resourceId]), as the resource and as the related one, with and without
                // filter[tenantId]: read from the resource's indexes, not by walking the viewer's (or the tenant's) events.
                var firstEvent = HexId("00", 1);
                foreach (var (resource, number) in new[] { (HexId("a", 19999), 19999), (HexId("a", 0x4e01), 0x4e01) })
                {
                    foreach (var byTenant in new[] { false, true })
                    {
                        foreach (var request in new[] { new PageRequest(size), new PageRequest(size, After: firstEvent), new PageRequest(size, Before: firstEvent) })
                        {
                            plans.Clear();
                            var page = await new AuditEventReader(db).PageAsync(
                                tenant, new AuditEventFilter(ResourceId: resource, TenantId: byTenant ? tenant : null), request, CancellationToken.None);
                            AssertAboutOnePageRead(plans, size, $"{mode}, events of {resource} (by tenant: {byTenant}), {request}", "audit_events", "audit_event_viewers");
                            AssertPage([HexId("00", number)], request, size, page.Map(e => e.Id));
                        }
                    }
                }
            }
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await service.Postgres.DropDatabaseAsync(new NpgsqlConnectionStringBuilder(connectionString).Database!);
        }
    }

    private const string OneGrant = "s1aaaaaaaaaaaaaaaaaaaaaa";
    private const string ManyGrants = "s2aaaaaaaaaaaaaaaaaaaaaa";

    /// <summary>
    /// Two service accounts of the big tenant: one granted only its newest app, one every odd app (10 000); 20 000 more
    /// (<c>e…</c> ids, before those two in id order: offset n is account n + 1; counted in one slot of their own: counting 20 000 rows one by one in one transaction
    /// rewrites the same slot 20 000 times, several seconds); and one event in 256 made an app key's, its app the related
    /// resource.
    /// </summary>
    private const string SeedGrantsSql =
        $"""
        INSERT INTO service_accounts (id, tenant_id, display_name, normalized_name, created_at)
        VALUES ('{OneGrant}', '{Big}', 'one', 'ONE', now()), ('{ManyGrants}', '{Big}', 'many', 'MANY', now());
        INSERT INTO app_grants (service_account_id, app_id, created_at) VALUES ('{OneGrant}', 'a' || lpad(to_hex(20000), 23, '0'), now());
        INSERT INTO app_grants (service_account_id, app_id, created_at)
        SELECT '{ManyGrants}', 'a' || lpad(to_hex(n), 23, '0'), now() FROM generate_series(1, 20000, 2) AS n;
        ALTER TABLE service_accounts DISABLE TRIGGER service_accounts_count_per_tenant;
        INSERT INTO service_accounts (id, tenant_id, display_name, normalized_name, created_at)
        SELECT 'e' || lpad(to_hex(n), 23, '0'), '{Big}', 'account ' || n, 'ACCOUNT ' || n, now() FROM generate_series(1, 20000) AS n;
        ALTER TABLE service_accounts ENABLE TRIGGER service_accounts_count_per_tenant;
        INSERT INTO tenant_service_account_counts (tenant_id, slot, accounts) VALUES ('{Big}', 1, 20000);
        UPDATE audit_events SET resource_type = 'appKey', resource_id = 'app_' || resource_id, related_type = 'app', related_id = resource_id
        WHERE right(id, 2) = '01';
        """;

    private static string HexId(string prefix, int number) => prefix + number.ToString("x" + (24 - prefix.Length), CultureInfo.InvariantCulture);

    /// <summary>
    /// <paramref name="actual"/> is the page of <paramref name="all"/> (in order) that <paramref name="request"/> asks for:
    /// its items, whether more follow in the direction of travel, and a cursor each way only where there is a page there.
    /// </summary>
    private static void AssertPage(List<string> all, PageRequest request, int size, Page<string> actual)
    {
        var beyond = request.After is { } after ? all.Where(id => string.CompareOrdinal(id, after) > 0).ToList()
            : request.Before is { } before ? all.Where(id => string.CompareOrdinal(id, before) < 0).ToList()
            : all;
        var items = request.Before is null ? beyond.Take(size).ToList() : beyond.TakeLast(size).ToList();
        var hasMore = beyond.Count > size;
        var hasAfter = items.Count > 0 && (request.Before is null ? hasMore : all.Any(id => string.CompareOrdinal(id, items[^1]) > 0));
        var hasBefore = items.Count > 0 && (request.Before is null
            ? request.After is not null && all.Any(id => string.CompareOrdinal(id, items[0]) < 0)
            : hasMore);
        Assert.Equal(items, actual.Items);
        Assert.Equal(hasMore, actual.HasMore);
        Assert.Equal(hasAfter ? items[^1] : null, actual.AfterCursor);
        Assert.Equal(hasBefore ? items[0] : null, actual.BeforeCursor);
    }

    /// <summary>Every statement auto_explain reported read at most about one page of rows of <paramref name="tables"/>.</summary>
    private static void AssertAboutOnePageRead(List<string> plans, int size, string what, params string[] tables)
    {
        Assert.NotEmpty(plans);
        foreach (var plan in plans)
        {
            var read = tables.Sum(table => RowsRead(plan, table));
            Assert.True(read <= 3 * (size + 1), $"{what}: {read} rows read by\n{plan}");
        }
    }

    /// <summary>
    /// Rows the plan's scans of <paramref name="table"/> read (returned or filtered out), over all their loops; with
    /// <paramref name="countIndexOnlyScans"/> false, those of index-only scans left out.
    /// </summary>
    private static long RowsRead(string planJson, string table, bool countIndexOnlyScans = true)
    {
        using var document = JsonDocument.Parse(planJson[planJson.IndexOf('{')..]);
        var root = document.RootElement.GetProperty("Plan");
        return Nodes(root)
            .Where(n => n.TryGetProperty("Relation Name", out var relation) && relation.GetString() == table)
            .Where(n => countIndexOnlyScans || n.GetProperty("Node Type").GetString() != "Index Only Scan")
            .Sum(n => (long)((n.GetProperty("Actual Rows").GetDouble()
                + (n.TryGetProperty("Rows Removed by Filter", out var removed) ? removed.GetDouble() : 0)) * n.GetProperty("Actual Loops").GetDouble()));
    }

    /// <summary>One tenant holds 20 000 events (of ten types), apps and children; the other holds nothing.</summary>
    private const string SeedSkewedSql =
        $"""
        INSERT INTO tenants (id, name, parent_id, path, contacts, own_settings, created_at)
        VALUES ('{Big}', 'Big', NULL, ARRAY['{Big}'], 10000, '{"{}"}', now()),
               ('{Small}', 'Small', '{Big}', ARRAY['{Big}', '{Small}'], 10000, '{"{}"}', now());
        INSERT INTO tenants (id, name, parent_id, path, contacts, own_settings, created_at)
        SELECT 'c' || lpad(to_hex(n), 23, '0'), 'child ' || n, '{Big}', ARRAY['{Big}', 'c' || lpad(to_hex(n), 23, '0')], 10, '{"{}"}', now()
        FROM generate_series(1, 20000) AS n;
        INSERT INTO apps (id, tenant_id, display_name, created_at, settings_app_localization_enabled, settings_conversation_retention_seconds,
                          settings_echo_postback, settings_ignore_auto_conversation_start, settings_mask_credit_card_numbers,
                          settings_multi_convo_enabled, settings_use_animal_names, settings_end_session_enabled, settings_disable_conversation_reopen)
        SELECT 'a' || lpad(to_hex(n), 23, '0'), '{Big}', 'app ' || n, now(), true, 0, false, false, true, false, false, false, false
        FROM generate_series(1, 20000) AS n;
        INSERT INTO audit_events (id, tenant_id, type, actor_kind, resource_type, resource_id, changes, created_at)
        SELECT '00' || lpad(to_hex(n), 22, '0'), '{Big}', (ARRAY['app.created', 'app.updated', 'appKey.created', 'appKey.deleted',
               'key.created', 'key.deleted', 'tenant.updated', 'serviceAccount.created', 'grant.created', 'grant.deleted'])[1 + n % 10],
               'account', 'app', 'a' || lpad(to_hex(n), 23, '0'), ARRAY[]::text[], now()
        FROM generate_series(1, 20000) AS n;
        """;

    /// <summary>The database migrated, <paramref name="seedSql"/> run and analysed; an open connection to it.</summary>
    private static async Task<NpgsqlConnection> MigratedAndSeededAsync(string connectionString, string seedSql)
    {
        var options = new DbContextOptionsBuilder<ProvisioningDbContext>().UseNpgsql(connectionString).UseSnakeCaseNamingConvention().Options;
        await using (var db = new ProvisioningDbContext(options))
        {
            await db.Database.MigrateAsync();
        }

        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await ExecuteAsync(connection, seedSql);
        await ExecuteAsync(connection, "ANALYZE");
        return connection;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = Sql.SeedTimeoutSeconds };
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// The plan PostgreSQL keeps for all parameters once a prepared statement goes generic: $1 is the tenant, $2 (where
    /// the shape has one) an event type.
    /// </summary>
    private static async Task<string> GenericPlanAsync(NpgsqlConnection connection, string sql, string tenant)
    {
        var typed = sql.Contains("$2", StringComparison.Ordinal);
        await ExecuteAsync(connection, $"DEALLOCATE ALL; SET plan_cache_mode = force_generic_plan; PREPARE shape(text{(typed ? ", text" : "")}) AS {sql}");
        await using var explain = new NpgsqlCommand($"EXPLAIN (FORMAT JSON) EXECUTE shape('{tenant}'{(typed ? ", 'key.deleted'" : "")})", connection);
        var plan = (string)(await explain.ExecuteScalarAsync())!;
        await ExecuteAsync(connection, "DEALLOCATE ALL; RESET plan_cache_mode");
        return plan;
    }

    /// <summary>Some node scans <paramref name="index"/> with the tenant in its index condition.</summary>
    private static bool UsesIndexOnTenant(string planJson, string index)
    {
        using var document = JsonDocument.Parse(planJson);
        return Nodes(document.RootElement[0].GetProperty("Plan")).Any(n =>
            n.TryGetProperty("Index Name", out var name) && name.GetString() == index
            && n.TryGetProperty("Index Cond", out var condition) && condition.GetString()!.Contains("$1", StringComparison.Ordinal));
    }

    private static IEnumerable<JsonElement> Nodes(JsonElement node)
    {
        yield return node;
        if (node.TryGetProperty("Plans", out var children))
        {
            foreach (var child in children.EnumerateArray())
            {
                foreach (var descendant in Nodes(child))
                {
                    yield return descendant;
                }
            }
        }
    }
}
