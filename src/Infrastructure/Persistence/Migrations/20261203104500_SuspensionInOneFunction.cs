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
    /// the session. No model change (no target model).
    /// </summary>
    [DbContext(typeof(ProvisioningDbContext))]
    [Migration("20261203104500_SuspensionInOneFunction")]
    public partial class SuspensionInOneFunction : Migration
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
            migrationBuilder.Sql(BudgetRowsLockedRootFirst.Procedure(lockRootFirst: true, suspensionInOneFunction: true));
        }

        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(BudgetRowsLockedRootFirst.Procedure(lockRootFirst: true));
            migrationBuilder.Sql("DROP FUNCTION tenant_or_ancestor_suspended(text);");
        }
    }
}
