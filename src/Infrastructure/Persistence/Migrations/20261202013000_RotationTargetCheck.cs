using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Provisioning.Infrastructure.Persistence.Migrations
{
    /// <summary>
    /// <c>master_key_check</c> may hold a second row (id 2) while <c>rotate-secrets</c> runs or after it stopped half-way:
    /// the known value under the key the secrets are being moved to (<c>Security/MasterKeyCheck</c>). A start must then
    /// decrypt both rows, so that neither the old key alone (most secrets moved) nor the new key alone (some not) is
    /// taken for the database's. No model change (no target model).
    /// </summary>
    [DbContext(typeof(ProvisioningDbContext))]
    [Migration("20261202013000_RotationTargetCheck")]
    public partial class RotationTargetCheck : SchemaMigration
    {
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                ALTER TABLE master_key_check DROP CONSTRAINT master_key_check_id_check;
                ALTER TABLE master_key_check ADD CONSTRAINT master_key_check_id_check CHECK (id IN (1, 2));
                """);
        }

        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DELETE FROM master_key_check WHERE id = 2;
                ALTER TABLE master_key_check DROP CONSTRAINT master_key_check_id_check;
                ALTER TABLE master_key_check ADD CONSTRAINT master_key_check_id_check CHECK (id = 1);
                """);
        }
    }
}
