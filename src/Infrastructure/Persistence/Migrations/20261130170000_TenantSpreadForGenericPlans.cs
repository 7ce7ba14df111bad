using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Provisioning.Infrastructure.Persistence.Migrations
{
    /// <summary>
    /// Generic plans again, without the skew trap that <see cref="CustomPlansForThisRole"/> closed by planning every
    /// statement anew.
    /// <para>
    /// Statements are auto-prepared, and after five executions PostgreSQL may keep one generic plan for all parameter
    /// values. For <c>tenant_id = $1</c> that plan estimates "rows per tenant" as the table's rows over its distinct
    /// tenants. With few tenants holding most rows (one tenant owns nearly every event, a million apps, every child) the
    /// estimate says a tenant is most of the table, and "a tenant's rows, newest first, LIMIT n" walked the primary key
    /// filtering instead of taking the <c>(tenant_id, id)</c> index: 85 ms for a tenant with no events at 300 k events.
    /// </para>
    /// <para>
    /// Here each tenant column tells the planner what the service is built for — rows spread over many tenants
    /// (<c>n_distinct = -0.05</c>: as many tenants as a twentieth of the rows) — so the generic plan of every "rows of
    /// one tenant" lookup takes the tenant's index. ANALYZE still measures the most common values, so a plan made for a
    /// big tenant's id knows it is big. Then the role's <c>force_custom_plan</c> is reset: planning every GET anew cost
    /// a quarter of its throughput (act_ key) to two fifths (svc_ key) in a same-binary A/B.
    /// PlanShapeTests proves the plans on skewed data.
    /// </para>
    /// </summary>
    public partial class TenantSpreadForGenericPlans : SchemaMigration
    {
        /// <summary>Every column a request filters by for "the rows of one tenant" (or of one service account).</summary>
        private static readonly (string Table, string Column)[] TenantColumns =
        [
            ("apps", "tenant_id"),
            ("audit_events", "tenant_id"),
            ("audit_event_viewers", "viewer_tenant_id"),
            ("service_accounts", "tenant_id"),
            ("api_keys", "tenant_id"),
            ("provisioning_keys", "tenant_id"),
            ("tenants", "parent_id"),
            ("tenant_users", "tenant_id"),
            ("app_grants", "service_account_id"),
        ];

        protected override void Up(MigrationBuilder migrationBuilder)
        {
            foreach (var (table, column) in TenantColumns)
            {
                migrationBuilder.Sql($"ALTER TABLE {table} ALTER COLUMN {column} SET (n_distinct = -0.05);");
                migrationBuilder.Sql($"ANALYZE {table};");
            }

            migrationBuilder.Sql(
                """
                DO $$
                BEGIN
                    EXECUTE format('ALTER ROLE %I RESET plan_cache_mode', current_user);
                EXCEPTION WHEN insufficient_privilege THEN
                    RAISE WARNING 'Could not reset plan_cache_mode for role %: %', current_user, SQLERRM;
                END $$;
                RESET plan_cache_mode;
                """);
        }

        protected override void Down(MigrationBuilder migrationBuilder)
        {
            foreach (var (table, column) in TenantColumns)
            {
                migrationBuilder.Sql($"ALTER TABLE {table} ALTER COLUMN {column} RESET (n_distinct);");
            }

            migrationBuilder.Sql("DO $$ BEGIN EXECUTE format('ALTER ROLE %I SET plan_cache_mode = force_custom_plan', current_user); END $$;");
        }
    }
}
