using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Provisioning.Infrastructure.Persistence.Migrations
{
    /// <summary>
    /// <c>retired_master_keys</c>: the ids (the 4-byte fingerprint every secret carries, <c>Security/AesGcmSecretProtector</c>)
    /// of the master keys a finished <c>rotate-secrets</c> moved the secrets away from. An instance whose current key is one
    /// of them (left on the old configuration, with the new key among its previous ones, so that it still decrypts) would go
    /// on writing new secrets under the old key; it is not ready and does not start (<c>Security/MasterKeyCheck</c>). A table
    /// of its own, not rows of <c>master_key_check</c>, which an older build requires every row of to decrypt. No model
    /// change (no target model).
    /// </summary>
    [DbContext(typeof(ProvisioningDbContext))]
    [Migration("20261202233000_RetiredMasterKeys")]
    public partial class RetiredMasterKeys : SchemaMigration
    {
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE TABLE retired_master_keys (
                    key_id bytea PRIMARY KEY CHECK (length(key_id) = 4),
                    retired_at timestamp with time zone NOT NULL DEFAULT now());
                """);
        }

        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TABLE retired_master_keys;");
        }
    }
}
