using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Provisioning.Infrastructure.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class Lifecycle : SchemaMigration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "status",
                table: "tenants",
                type: "character varying(16)",
                maxLength: 16,
                nullable: false,
                defaultValue: "active");

            migrationBuilder.AddColumn<bool>(
                name: "disabled",
                table: "provisioning_keys",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "expires_at",
                table: "provisioning_keys",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "disabled",
                table: "api_keys",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "expires_at",
                table: "api_keys",
                type: "timestamp with time zone",
                nullable: true);

            // Disabling a key revokes it like deleting it; a tenant's suspension or resumption changes every key below it,
            // so every instance drops its whole credential cache ("*"). See Infrastructure/Credentials/Revocation.
            migrationBuilder.Sql(
                """
                CREATE TRIGGER api_keys_revoke_on_disable AFTER UPDATE OF disabled ON api_keys
                    FOR EACH ROW WHEN (OLD.disabled IS DISTINCT FROM NEW.disabled) EXECUTE FUNCTION revoke_api_key();

                CREATE FUNCTION revoke_tenant_credentials() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    PERFORM pg_notify('provisioning_credentials_revoked', '*');
                    PERFORM set_config('provisioning.revoked_keys',
                        coalesce(nullif(current_setting('provisioning.revoked_keys', true), ''), '') || ',*', true);
                    RETURN NEW;
                END $$;

                CREATE TRIGGER tenants_status_revoke AFTER UPDATE OF status ON tenants
                    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION revoke_tenant_credentials();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(
                """
                DROP TRIGGER tenants_status_revoke ON tenants;
                DROP FUNCTION revoke_tenant_credentials();
                DROP TRIGGER api_keys_revoke_on_disable ON api_keys;
                """);

            migrationBuilder.DropColumn(
                name: "status",
                table: "tenants");

            migrationBuilder.DropColumn(
                name: "disabled",
                table: "provisioning_keys");

            migrationBuilder.DropColumn(
                name: "expires_at",
                table: "provisioning_keys");

            migrationBuilder.DropColumn(
                name: "disabled",
                table: "api_keys");

            migrationBuilder.DropColumn(
                name: "expires_at",
                table: "api_keys");
        }
    }
}
