using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Provisioning.Infrastructure.Persistence.Migrations
{
    /// <summary>
    /// A suspension is held by the tenant that sent it (<c>tenants.suspended_by</c>, the highest sender), and only that tenant
    /// or one above it may resume: a reseller between a vendor and the customer the vendor suspended could lift the vendor's
    /// decision (a tree probe). Suspensions already in place are given to the sender of their last <c>tenant.suspended</c>
    /// event (no-op suspensions write none, so that is the one that suspended); one whose event was pruned stays held by
    /// none, which any strict ancestor may resume, as before. A new nullable column: no rewrite, and builds before this one
    /// read and write the table as they did, but neither set nor clear it (docs/operations.md, "Upgrading").
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
                    ORDER BY e.id DESC LIMIT 1)
                WHERE t.status = 'suspended';
                """);
        }

        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "suspended_by",
                table: "tenants");
        }
    }
}
