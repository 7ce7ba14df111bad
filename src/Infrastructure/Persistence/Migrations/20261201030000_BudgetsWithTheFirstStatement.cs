using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Provisioning.Infrastructure.Persistence.Migrations
{
    /// <summary>
    /// The reservation of an app or tenant budget as one statement that returns no rows and fails when it refuses, so that
    /// it can ride with another statement of the transaction (<c>Persistence/TenantBudgets</c>, <c>LeadingStatement</c>).
    /// The same three steps as the batch it replaces, each a statement of its own (so each snapshot is taken after the
    /// advisory lock, which a budget's recount takes exclusively): the shared advisory lock; <c>PX403</c> when the tenant or
    /// an ancestor is suspended; one more on every counter up the path that has a budget, and <c>PX402</c> with
    /// "kind limit self|ancestor" when one is passed. A refusal aborts the transaction: nothing sent after it runs.
    /// </summary>
    public partial class BudgetsWithTheFirstStatement : SchemaMigration
    {
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(
                """
                CREATE PROCEDURE budget_reserve(reserve_kind text, reserve_tenant text, budget_lock bigint)
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
                        WITH counted AS (
                            UPDATE tenants SET subtree_apps = subtree_apps + 1
                            WHERE id IN (SELECT unnest(path) FROM tenants WHERE id = reserve_tenant) AND max_apps IS NOT NULL
                            RETURNING id, subtree_apps > max_apps AS passed, max_apps AS budget)
                        SELECT id, budget INTO passed_id, passed_limit FROM counted WHERE passed LIMIT 1;
                    ELSIF reserve_kind = 'tenants' THEN
                        WITH counted AS (
                            UPDATE tenants SET descendant_tenants = descendant_tenants + 1
                            WHERE id IN (SELECT unnest(path) FROM tenants WHERE id = reserve_tenant) AND max_tenants IS NOT NULL
                            RETURNING id, descendant_tenants > max_tenants AS passed, max_tenants AS budget)
                        SELECT id, budget INTO passed_id, passed_limit FROM counted WHERE passed LIMIT 1;
                    ELSE
                        RAISE EXCEPTION 'unknown budget kind %', reserve_kind;
                    END IF;
                    IF passed_id IS NOT NULL THEN
                        RAISE EXCEPTION '% % %', reserve_kind, passed_limit,
                            CASE WHEN passed_id = reserve_tenant THEN 'self' ELSE 'ancestor' END
                            USING ERRCODE = 'PX402';
                    END IF;
                END $$;
                """);
        }

        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP PROCEDURE budget_reserve(text, text, bigint);");
        }
    }
}
