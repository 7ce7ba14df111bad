using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Provisioning.Infrastructure.Persistence.Migrations
{
    /// <summary>
    /// Provisioning looks up the key it is sent by its SHA-256 (it hashed the sent key again for every key of the tenant:
    /// 2,000 keys and a 100 KB "key" cost a second of CPU per attempt). The index is in the model (and the
    /// snapshot), so the migration keeps EF's own shape, with its Designer file.
    /// </summary>
    public partial class ProvisioningKeyByItsHash : SchemaMigration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "ix_provisioning_keys_secret_hash",
                table: "provisioning_keys",
                column: "secret_hash");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_provisioning_keys_secret_hash",
                table: "provisioning_keys");
        }
    }
}
