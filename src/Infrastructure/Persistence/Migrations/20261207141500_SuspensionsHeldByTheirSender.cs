using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Provisioning.Infrastructure.Persistence.Migrations
{
    /// <summary>
    /// A suspension is held by the tenant that sent it (<c>tenants.suspended_by</c>, the highest sender), and only that tenant
    /// or one above it may resume: a reseller between a vendor and the customer the vendor suspended could lift the vendor's
    /// decision (a tree probe). The column holds a value only while the tenant is suspended (a check constraint).
    /// <para>Suspensions in place are given as this build would have given them: to the highest strict ancestor that sent a
    /// <c>tenant.suspended</c> since the tenant was last resumed (builds before 2026-12-01 also wrote that type for a
    /// "suspended" sent with other fields to a tenant already suspended, by a tenant below or above the one that suspended
    /// it: a review found the last event's sender could be the lower one). One whose events were pruned stays held by none,
    /// which any strict ancestor may resume, as before. Event ids sort by time.</para>
    /// <para>Builds before this one neither set nor read the column: a trigger clears it when they resume a tenant, so a
    /// suspension they make later is held by none rather than by the sender of one before it. A nullable column (no rewrite);
    /// the constraint reads the table once, under the lock <c>ALTER TABLE</c> takes (docs/operations.md, "Upgrading").</para>
    /// </summary>
    public partial class SuspensionsHeldByTheirSender : SchemaMigration
    {
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "suspended_by",
                table: "tenants",
                type: "character varying(24)",
                maxLength: 24,
                nullable: true);

            migrationBuilder.Sql("""
                UPDATE tenants t SET suspended_by = (
                    SELECT e.actor_tenant_id FROM audit_events e
                    WHERE e.resource_id = t.id AND e.type = 'tenant.suspended'
                      AND e.id > coalesce((SELECT max(r.id) FROM audit_events r WHERE r.resource_id = t.id AND r.type = 'tenant.resumed'), '')
                      AND array_position(t.path, e.actor_tenant_id::text) < cardinality(t.path)
                    ORDER BY array_position(t.path, e.actor_tenant_id::text), e.id DESC LIMIT 1)
                WHERE t.status = 'suspended';

                CREATE FUNCTION tenants_suspension_holder_cleared() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    NEW.suspended_by := NULL;
                    RETURN NEW;
                END $$;
                CREATE TRIGGER tenants_suspension_holder_cleared BEFORE UPDATE OF status ON tenants FOR EACH ROW
                    WHEN (NEW.status = 'active' AND NEW.suspended_by IS NOT NULL) EXECUTE FUNCTION tenants_suspension_holder_cleared();
                """);

            migrationBuilder.AddCheckConstraint(
                name: "ck_tenants_suspended_by_while_suspended",
                table: "tenants",
                sql: "suspended_by IS NULL OR status = 'suspended'");
        }

        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropCheckConstraint(
                name: "ck_tenants_suspended_by_while_suspended",
                table: "tenants");

            migrationBuilder.Sql("""
                DROP TRIGGER tenants_suspension_holder_cleared ON tenants;
                DROP FUNCTION tenants_suspension_holder_cleared();
                """);

            migrationBuilder.DropColumn(
                name: "suspended_by",
                table: "tenants");
        }
    }
}
