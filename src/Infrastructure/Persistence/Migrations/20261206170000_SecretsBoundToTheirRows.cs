using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Provisioning.Infrastructure.Persistence.Migrations
{
    /// <summary>
    /// Secrets are written as version 3 (<c>AesGcmSecretProtector</c>): version 2's version byte and key id, then a salt
    /// for a key of each secret's own, with the row they are stored in authenticated as associated data
    /// (<c>SecretBinding</c>), so that a copy into another row no longer decrypts
    /// (a security review: with write access to the database and no master key, a secret copied into an app key's row was
    /// read back through the API, and a key of the root tenant was made with a secret one knew). The one rule of "under a
    /// retired master key", <c>under_retired_master_key(bytea)</c>, reads a value's key id from versions 2 and 3 alike (it
    /// read version 2 only: a version-3 secret under a retired key would have passed). Replaced whole; its triggers are
    /// unchanged. No model change (no target model).
    /// </summary>
    [DbContext(typeof(ProvisioningDbContext))]
    [Migration("20261206170000_SecretsBoundToTheirRows")]
    public partial class SecretsBoundToTheirRows : SchemaMigration
    {
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE OR REPLACE FUNCTION under_retired_master_key(protected bytea) RETURNS boolean LANGUAGE plpgsql AS $$
                BEGIN
                    RETURN get_byte(protected, 0) IN (2, 3)
                       AND EXISTS (SELECT FROM retired_master_keys WHERE key_id = substring(protected FROM 2 FOR 4))
                       AND NOT EXISTS (SELECT FROM master_key_check
                                       WHERE get_byte(value, 0) IN (2, 3) AND substring(value FROM 2 FOR 4) = substring(protected FROM 2 FOR 4));
                END $$;
                """);
        }

        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE OR REPLACE FUNCTION under_retired_master_key(protected bytea) RETURNS boolean LANGUAGE plpgsql AS $$
                BEGIN
                    RETURN get_byte(protected, 0) = 2
                       AND EXISTS (SELECT FROM retired_master_keys WHERE key_id = substring(protected FROM 2 FOR 4))
                       AND NOT EXISTS (SELECT FROM master_key_check
                                       WHERE get_byte(value, 0) = 2 AND substring(value FROM 2 FOR 4) = substring(protected FROM 2 FOR 4));
                END $$;
                """);
        }
    }
}
