using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Provisioning.Infrastructure.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class RevocationFollowsData : SchemaMigration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Every key row that goes (a delete, or a cascade from its app, service account or tenant) is revoked on
            // every instance: NOTIFY at commit, and the transaction-local list the deleting instance reads (see Revocation).
            migrationBuilder.Sql(
                """
                CREATE FUNCTION revoke_api_key() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    PERFORM pg_notify('provisioning_credentials_revoked', OLD.id);
                    PERFORM set_config('provisioning.revoked_keys',
                        coalesce(nullif(current_setting('provisioning.revoked_keys', true), ''), '') || ',' || OLD.id, true);
                    RETURN OLD;
                END $$;

                CREATE TRIGGER api_keys_revoke AFTER DELETE ON api_keys
                    FOR EACH ROW EXECUTE FUNCTION revoke_api_key();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TRIGGER api_keys_revoke ON api_keys; DROP FUNCTION revoke_api_key();");
        }
    }
}
