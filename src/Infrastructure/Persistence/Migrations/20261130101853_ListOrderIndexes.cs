using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Provisioning.Infrastructure.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class ListOrderIndexes : SchemaMigration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.RenameIndex(
                name: "ix_tenants_parent_id",
                table: "tenants",
                newName: "ix_tenants_single_root");

            migrationBuilder.CreateIndex(
                name: "ix_tenants_parent_id_id",
                table: "tenants",
                columns: new[] { "parent_id", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_service_accounts_tenant_id_id",
                table: "service_accounts",
                columns: new[] { "tenant_id", "id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_tenants_parent_id_id",
                table: "tenants");

            migrationBuilder.DropIndex(
                name: "ix_service_accounts_tenant_id_id",
                table: "service_accounts");

            migrationBuilder.RenameIndex(
                name: "ix_tenants_single_root",
                table: "tenants",
                newName: "ix_tenants_parent_id");
        }
    }
}
