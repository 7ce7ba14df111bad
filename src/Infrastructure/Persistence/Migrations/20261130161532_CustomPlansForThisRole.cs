using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Provisioning.Infrastructure.Persistence.Migrations
{
    /// <summary>
    /// The service's role plans every statement for its actual parameters (<c>plan_cache_mode = force_custom_plan</c>).
    /// Statements are auto-prepared (DependencyInjection.WithDefaults), and after five executions PostgreSQL may switch a
    /// prepared statement to one generic plan for all parameters. Tenants are skewed — one may hold a million apps or
    /// nearly every audit event — and the generic plan of "a tenant's rows, newest first" walked the primary key
    /// backwards, filtering: measured, the tenant view's latest-event lookup went from 0.1 ms to 10 ms at 100 k events
    /// (280 ms p50 at a few hundred thousand in bench/run), growing with the table. Custom plans keep each lookup on its
    /// (tenant_id, id) index; auto-preparation still saves the parse. Set for the role, so it holds on every connection
    /// (Npgsql's RESET ALL on a pooled connection returns to it). A role that may not change its own defaults gets a
    /// warning instead, and should be given the setting by its administrator (docs/operations.md).
    /// </summary>
    public partial class CustomPlansForThisRole : SchemaMigration
    {
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(
                """
                DO $$
                BEGIN
                    EXECUTE format('ALTER ROLE %I SET plan_cache_mode = force_custom_plan', current_user);
                EXCEPTION WHEN insufficient_privilege THEN
                    RAISE WARNING 'Could not set plan_cache_mode = force_custom_plan for role %: %', current_user, SQLERRM;
                END $$;
                SET plan_cache_mode = force_custom_plan;
                """);
        }

        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DO $$ BEGIN EXECUTE format('ALTER ROLE %I RESET plan_cache_mode', current_user); END $$;");
        }
    }
}
