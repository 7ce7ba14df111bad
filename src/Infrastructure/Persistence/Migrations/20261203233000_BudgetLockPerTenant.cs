using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Provisioning.Infrastructure.Persistence.Migrations
{
    /// <summary>
    /// The budgets' advisory lock, one global key until now, becomes one key per tenant
    /// (<c>budget_lock_key(tenant, lock)</c>). A create or deletion holds the key of every tenant on its path shared
    /// (<c>budget_share_path</c>, called by <c>budget_reserve</c> and by the releases of <c>TenantBudgets</c>); a suspension
    /// or budget change takes the key of the one tenant it changes exclusively. So it still waits for every create and
    /// deletion in that tenant's subtree and holds new ones off, but no longer for work anywhere else: before, one
    /// suspension waiting behind a long deletion in another customer's tree held every create of every tenant off for
    /// up to its 2 s wait, then failed 503 (a probe saw 27 s before that wait existed). Each create and deletion also
    /// keeps the global key shared: an instance not yet upgraded still takes that one whole for its suspensions and
    /// budget changes. (Such an instance's app deletions hold only the global key: a budget set on an upgraded instance
    /// while one of those is in flight in the subtree may count the app being deleted, one place too few until the
    /// budget is next set; only while old and new instances run side by side.) <c>budget_reserve</c> is
    /// <c>SuspensionInOneFunction</c>'s, written out whole with its first statement replaced; Down puts that one back.
    /// No model change (no target model).
    /// </summary>
    [DbContext(typeof(ProvisioningDbContext))]
    [Migration("20261203233000_BudgetLockPerTenant")]
    public partial class BudgetLockPerTenant : SchemaMigration
    {
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE FUNCTION budget_lock_key(tenant text, budget_lock bigint) RETURNS bigint
                LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT hashtextextended(tenant, budget_lock) $$;
                """);
            migrationBuilder.Sql("""
                CREATE FUNCTION budget_share_path(tenant text, budget_lock bigint) RETURNS void
                LANGUAGE plpgsql AS $$
                BEGIN
                    PERFORM pg_advisory_xact_lock_shared(budget_lock); -- what instances before this migration take whole
                    PERFORM pg_advisory_xact_lock_shared(budget_lock_key(p.id, budget_lock))
                    FROM tenants t, unnest(t.path) AS p(id) WHERE t.id = tenant;
                END $$;
                """);
            migrationBuilder.Sql("""
                CREATE OR REPLACE PROCEDURE budget_reserve(reserve_kind text, reserve_tenant text, budget_lock bigint)
                LANGUAGE plpgsql AS $$
                DECLARE
                    passed_id text;
                    passed_limit integer;
                BEGIN
                    PERFORM budget_share_path(reserve_tenant, budget_lock);
                    IF tenant_or_ancestor_suspended(reserve_tenant) THEN
                        RAISE EXCEPTION 'tenant suspended' USING ERRCODE = 'PX403';
                    END IF;
                    IF reserve_kind = 'apps' THEN
                        PERFORM 1 FROM tenants
                        WHERE id IN (SELECT unnest(path) FROM tenants WHERE id = reserve_tenant) AND max_apps IS NOT NULL
                        ORDER BY cardinality(path)
                        FOR NO KEY UPDATE;
                        IF FOUND THEN
                            WITH counted AS (
                                UPDATE tenants SET subtree_apps = subtree_apps + 1
                                WHERE id IN (SELECT unnest(path) FROM tenants WHERE id = reserve_tenant) AND max_apps IS NOT NULL
                                RETURNING id, subtree_apps > max_apps AS passed, max_apps AS budget)
                            SELECT id, budget INTO passed_id, passed_limit FROM counted WHERE passed LIMIT 1;
                        END IF;
                    ELSIF reserve_kind = 'tenants' THEN
                        PERFORM 1 FROM tenants
                        WHERE id IN (SELECT unnest(path) FROM tenants WHERE id = reserve_tenant) AND max_tenants IS NOT NULL
                        ORDER BY cardinality(path)
                        FOR NO KEY UPDATE;
                        IF FOUND THEN
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
                """);
        }

        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE OR REPLACE PROCEDURE budget_reserve(reserve_kind text, reserve_tenant text, budget_lock bigint)
                LANGUAGE plpgsql AS $$
                DECLARE
                    passed_id text;
                    passed_limit integer;
                BEGIN
                    PERFORM pg_advisory_xact_lock_shared(budget_lock);
                    IF tenant_or_ancestor_suspended(reserve_tenant) THEN
                        RAISE EXCEPTION 'tenant suspended' USING ERRCODE = 'PX403';
                    END IF;
                    IF reserve_kind = 'apps' THEN
                        PERFORM 1 FROM tenants
                        WHERE id IN (SELECT unnest(path) FROM tenants WHERE id = reserve_tenant) AND max_apps IS NOT NULL
                        ORDER BY cardinality(path)
                        FOR NO KEY UPDATE;
                        IF FOUND THEN
                            WITH counted AS (
                                UPDATE tenants SET subtree_apps = subtree_apps + 1
                                WHERE id IN (SELECT unnest(path) FROM tenants WHERE id = reserve_tenant) AND max_apps IS NOT NULL
                                RETURNING id, subtree_apps > max_apps AS passed, max_apps AS budget)
                            SELECT id, budget INTO passed_id, passed_limit FROM counted WHERE passed LIMIT 1;
                        END IF;
                    ELSIF reserve_kind = 'tenants' THEN
                        PERFORM 1 FROM tenants
                        WHERE id IN (SELECT unnest(path) FROM tenants WHERE id = reserve_tenant) AND max_tenants IS NOT NULL
                        ORDER BY cardinality(path)
                        FOR NO KEY UPDATE;
                        IF FOUND THEN
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
                """);
            migrationBuilder.Sql("DROP FUNCTION budget_share_path(text, bigint);");
            migrationBuilder.Sql("DROP FUNCTION budget_lock_key(text, bigint);");
        }
    }
}
