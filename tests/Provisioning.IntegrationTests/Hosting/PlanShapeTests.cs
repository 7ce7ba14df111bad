using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Provisioning.Infrastructure.Persistence;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Hosting;

/// <summary>
/// Statements are auto-prepared, so PostgreSQL may run one generic plan for every tenant. On skewed data (one tenant
/// holding every event, every app, every child) the generic plan of "one tenant's rows in id order" must still take
/// the tenant's index, not walk the primary key filtering (migration TenantSpreadForGenericPlans). Each shape below is
/// the one a request path sends (tenant view's latest event, event and app pages, a parent's children).
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
            var options = new DbContextOptionsBuilder<ProvisioningDbContext>().UseNpgsql(connectionString).UseSnakeCaseNamingConvention().Options;
            await using (var db = new ProvisioningDbContext(options))
            {
                await db.Database.MigrateAsync();
            }

            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await ExecuteAsync(connection, SeedSkewedSql);
            await ExecuteAsync(connection, "ANALYZE");

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
        SELECT 'e' || lpad(to_hex(n), 23, '0'), '{Big}', (ARRAY['app.created', 'app.updated', 'appKey.created', 'appKey.deleted',
               'key.created', 'key.deleted', 'tenant.updated', 'serviceAccount.created', 'grant.created', 'grant.deleted'])[1 + n % 10],
               'account', 'app', 'a' || lpad(to_hex(n), 23, '0'), ARRAY[]::text[], now()
        FROM generate_series(1, 20000) AS n;
        """;

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
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
