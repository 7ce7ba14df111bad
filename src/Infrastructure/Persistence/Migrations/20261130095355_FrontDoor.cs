using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Provisioning.Infrastructure.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class FrontDoor : SchemaMigration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "app_token",
                table: "apps",
                type: "character varying(25)",
                maxLength: 25,
                nullable: false,
                defaultValueSql: "substr(md5(random()::text || clock_timestamp()::text), 1, 25)");

            migrationBuilder.AddColumn<bool>(
                name: "settings_disable_conversation_reopen",
                table: "apps",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<bool>(
                name: "settings_end_session_enabled",
                table: "apps",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            // One value encrypted with the master key at first start; see MasterKeyCheck.
            migrationBuilder.Sql(
                """
                CREATE TABLE master_key_check (
                    id integer PRIMARY KEY CHECK (id = 1),
                    value bytea NOT NULL,
                    created_at timestamp with time zone NOT NULL DEFAULT now());
                """);

            migrationBuilder.CreateIndex(
                name: "ix_apps_app_token",
                table: "apps",
                column: "app_token",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TABLE master_key_check;");

            migrationBuilder.DropIndex(
                name: "ix_apps_app_token",
                table: "apps");

            migrationBuilder.DropColumn(
                name: "app_token",
                table: "apps");

            migrationBuilder.DropColumn(
                name: "settings_disable_conversation_reopen",
                table: "apps");

            migrationBuilder.DropColumn(
                name: "settings_end_session_enabled",
                table: "apps");
        }
    }
}
