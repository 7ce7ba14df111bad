using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Provisioning.Infrastructure.Persistence.Migrations
{
    /// <summary>
    /// <c>master_key_check</c> keeps one row per key that rotations began moving secrets to since the last one that
    /// finished (ids 2, 3, …), not one row overwritten by each (id 2): a rotation stopped half-way and followed by one to
    /// another key (back to the old one) leaves secrets under both targets, and a start must decrypt every row
    /// (<c>Security/MasterKeyCheck</c>). No model change (no target model).
    /// </summary>
    [DbContext(typeof(ProvisioningDbContext))]
    [Migration("20261202090000_RotationTargetsKept")]
    public partial class RotationTargetsKept : SchemaMigration
    {
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                ALTER TABLE master_key_check DROP CONSTRAINT master_key_check_id_check;
                ALTER TABLE master_key_check ADD CONSTRAINT master_key_check_id_check CHECK (id >= 1);
                """);
        }

        protected override void Down(MigrationBuilder migrationBuilder)
        {
            // Back to one mark: the latest target's (a start after the downgrade then asks for one key fewer; finish the
            // rotation before going back).
            migrationBuilder.Sql("""
                DELETE FROM master_key_check WHERE id >= 2 AND id < (SELECT max(id) FROM master_key_check);
                UPDATE master_key_check SET id = 2 WHERE id > 2;
                ALTER TABLE master_key_check DROP CONSTRAINT master_key_check_id_check;
                ALTER TABLE master_key_check ADD CONSTRAINT master_key_check_id_check CHECK (id IN (1, 2));
                """);
        }
    }
}
