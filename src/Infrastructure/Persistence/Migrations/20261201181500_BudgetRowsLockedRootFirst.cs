using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Provisioning.Infrastructure.Persistence.Migrations
{
    /// <summary>
    /// <c>budget_reserve</c> locks the budget rows on a tenant's path root first, before counting on them. Its
    /// <c>UPDATE … WHERE id IN (path)</c> locked them in whatever order the plan met them, so two creates under a tenant
    /// whose parent also has a budget could each hold one of the two rows and wait for the other: PostgreSQL broke the
    /// deadlock by failing one (40P01, a 500), 9 of 112 creates in a probe. Two paths from the root share a prefix, so
    /// locking along the path, root first, gives every transaction the same order. The budget releases
    /// (<c>Persistence/TenantBudgets</c>) lock in the same order. No model change (no target model).
    /// </summary>
    [DbContext(typeof(ProvisioningDbContext))]
    [Migration("20261201181500_BudgetRowsLockedRootFirst")]
    public partial class BudgetRowsLockedRootFirst : SchemaMigration
    {
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(Procedure(lockRootFirst: true));
        }

        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(Procedure(lockRootFirst: false));
        }

        private static string Procedure(bool lockRootFirst)
        {
            // FOUND after PERFORM: a row was locked. Without a budget on the path the UPDATE would change nothing: skipped.
            string Lock(string budget) => lockRootFirst
                ? $"""
                  PERFORM 1 FROM tenants
                  WHERE id IN (SELECT unnest(path) FROM tenants WHERE id = reserve_tenant) AND {budget} IS NOT NULL
                  ORDER BY cardinality(path)
                  FOR NO KEY UPDATE;
                  IF FOUND THEN
                  """
                : "IF true THEN";

            return $$"""
                CREATE OR REPLACE PROCEDURE budget_reserve(reserve_kind text, reserve_tenant text, budget_lock bigint)
                LANGUAGE plpgsql AS $$
                DECLARE
                    passed_id text;
                    passed_limit integer;
                BEGIN
                    PERFORM pg_advisory_xact_lock_shared(budget_lock);
                    IF EXISTS (SELECT 1 FROM tenants WHERE status = 'suspended'
                               AND id IN (SELECT unnest(path) FROM tenants WHERE id = reserve_tenant)) THEN
                        RAISE EXCEPTION 'tenant suspended' USING ERRCODE = 'PX403';
                    END IF;
                    IF reserve_kind = 'apps' THEN
                        {{Lock("max_apps")}}
                        WITH counted AS (
                            UPDATE tenants SET subtree_apps = subtree_apps + 1
                            WHERE id IN (SELECT unnest(path) FROM tenants WHERE id = reserve_tenant) AND max_apps IS NOT NULL
                            RETURNING id, subtree_apps > max_apps AS passed, max_apps AS budget)
                        SELECT id, budget INTO passed_id, passed_limit FROM counted WHERE passed LIMIT 1;
                        END IF;
                    ELSIF reserve_kind = 'tenants' THEN
                        {{Lock("max_tenants")}}
                        WITH counted AS (
                            UPDATE tenants SET descendant_tenants = descendant_tenants + 1
                            WHERE id IN (SELECT unnest(path) FROM tenants WHERE id = reserve_tenant) AND max_tenants IS NOT NULL
                            RETURNING id, descendant_tenants > max_tenants AS passed, max_tenants AS budget)
                        SELECT id, budget INTO passed_id, passed_limit FROM counted WHERE passed LIMIT 1;
                        END IF;
                    ELSE
                        RAISE EXCEPTION 'unknown budget kind %', reserve_kind;
                    END IF;
                    IF passed_id IS NOT NULL THEN
                        RAISE EXCEPTION '% % %', reserve_kind, passed_limit,
                            CASE WHEN passed_id = reserve_tenant THEN 'self' ELSE 'ancestor' END
                            USING ERRCODE = 'PX402';
                    END IF;
                END $$;
                """;
        }
    }
}
