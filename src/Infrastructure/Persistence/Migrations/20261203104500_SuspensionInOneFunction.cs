using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Provisioning.Infrastructure.Persistence.Migrations
{
    /// <summary>
    /// "Is this tenant or one of its ancestors suspended" in one place, <c>tenant_or_ancestor_suspended(tenant)</c>: the
    /// credential store's lookup, <c>budget_reserve</c> (a create under a subtree suspended meanwhile) and the operator's
    /// <c>create-account-key</c> each had a copy of the predicate. PL/pgSQL, not SQL: PostgreSQL does not inline a SQL
    /// function whose body has a subquery, and plans such a body again at every call, where PL/pgSQL keeps its plan for
    /// the session. <c>budget_reserve</c> is <c>BudgetRowsLockedRootFirst</c>'s, written out whole, with the check replaced
    /// (Down puts that one back: the same body). Additive: old instances keep their own copy of the check, which says the
    /// same. No model change (no target model).
    /// </summary>
    [DbContext(typeof(ProvisioningDbContext))]
    [Migration("20261203104500_SuspensionInOneFunction")]
    public partial class SuspensionInOneFunction : SchemaMigration
    {
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE FUNCTION tenant_or_ancestor_suspended(tenant text) RETURNS boolean
                LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
                BEGIN
                    RETURN EXISTS (SELECT 1 FROM tenants s WHERE s.status = 'suspended'
                                   AND s.id IN (SELECT unnest(t.path) FROM tenants t WHERE t.id = tenant));
                END $$;
                """);
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
                    IF EXISTS (SELECT 1 FROM tenants WHERE status = 'suspended'
                               AND id IN (SELECT unnest(path) FROM tenants WHERE id = reserve_tenant)) THEN
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
            migrationBuilder.Sql("DROP FUNCTION tenant_or_ancestor_suspended(text);");
        }
    }
}
