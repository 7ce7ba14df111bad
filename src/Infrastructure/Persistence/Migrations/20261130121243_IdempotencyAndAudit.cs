using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Provisioning.Infrastructure.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class IdempotencyAndAudit : SchemaMigration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "last_credential_use_at",
                table: "tenants",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "audit_events",
                columns: table => new
                {
                    id = table.Column<string>(type: "character varying(24)", maxLength: 24, nullable: false),
                    tenant_id = table.Column<string>(type: "character varying(24)", maxLength: 24, nullable: false),
                    type = table.Column<string>(type: "character varying(48)", maxLength: 48, nullable: false),
                    actor_key_id = table.Column<string>(type: "character varying(28)", maxLength: 28, nullable: true),
                    actor_kind = table.Column<string>(type: "character varying(24)", maxLength: 24, nullable: false),
                    actor_tenant_id = table.Column<string>(type: "character varying(24)", maxLength: 24, nullable: true),
                    on_behalf_of = table.Column<string>(type: "character varying(24)", maxLength: 24, nullable: true),
                    resource_type = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    resource_id = table.Column<string>(type: "character varying(320)", maxLength: 320, nullable: false),
                    related_type = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    related_id = table.Column<string>(type: "character varying(320)", maxLength: 320, nullable: true),
                    request_id = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    changes = table.Column<string[]>(type: "text[]", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_audit_events", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "idempotency_records",
                columns: table => new
                {
                    scope = table.Column<string>(type: "character varying(28)", maxLength: 28, nullable: false),
                    key = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    fingerprint = table.Column<byte[]>(type: "bytea", nullable: false),
                    status = table.Column<int>(type: "integer", nullable: false),
                    content_type = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: true),
                    location = table.Column<string>(type: "character varying(2048)", maxLength: 2048, nullable: true),
                    protected_body = table.Column<byte[]>(type: "bytea", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_idempotency_records", x => new { x.scope, x.key });
                });

            migrationBuilder.CreateTable(
                name: "audit_event_viewers",
                columns: table => new
                {
                    viewer_tenant_id = table.Column<string>(type: "character varying(24)", maxLength: 24, nullable: false),
                    event_id = table.Column<string>(type: "character varying(24)", maxLength: 24, nullable: false),
                    type = table.Column<string>(type: "character varying(48)", maxLength: 48, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_audit_event_viewers", x => new { x.viewer_tenant_id, x.event_id });
                    table.ForeignKey(
                        name: "fk_audit_event_viewers_audit_events_event_id",
                        column: x => x.event_id,
                        principalTable: "audit_events",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_audit_event_viewers_event_id",
                table: "audit_event_viewers",
                column: "event_id");

            migrationBuilder.CreateIndex(
                name: "ix_audit_event_viewers_viewer_tenant_id_type_event_id",
                table: "audit_event_viewers",
                columns: new[] { "viewer_tenant_id", "type", "event_id" });

            migrationBuilder.CreateIndex(
                name: "ix_audit_events_created_at",
                table: "audit_events",
                column: "created_at");

            migrationBuilder.CreateIndex(
                name: "ix_audit_events_related_id_id",
                table: "audit_events",
                columns: new[] { "related_id", "id" },
                filter: "related_id IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_audit_events_resource_id_id",
                table: "audit_events",
                columns: new[] { "resource_id", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_audit_events_tenant_id_id",
                table: "audit_events",
                columns: new[] { "tenant_id", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_idempotency_records_created_at",
                table: "idempotency_records",
                column: "created_at");

            // Who may read an event: every tenant from the root down to the event's tenant, written with the event.
            // A root tenant being created in the same statement batch is its own path.
            migrationBuilder.Sql(
                """
                CREATE FUNCTION audit_event_viewers_fill() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    INSERT INTO audit_event_viewers (viewer_tenant_id, event_id, type)
                    SELECT unnest(coalesce((SELECT path FROM tenants WHERE id = NEW.tenant_id), ARRAY[NEW.tenant_id]::text[])), NEW.id, NEW.type;
                    RETURN NULL;
                END $$;
                CREATE TRIGGER audit_events_viewers AFTER INSERT ON audit_events
                    FOR EACH ROW EXECUTE FUNCTION audit_event_viewers_fill();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TRIGGER audit_events_viewers ON audit_events; DROP FUNCTION audit_event_viewers_fill();");

            migrationBuilder.DropTable(
                name: "audit_event_viewers");

            migrationBuilder.DropTable(
                name: "idempotency_records");

            migrationBuilder.DropTable(
                name: "audit_events");

            migrationBuilder.DropColumn(
                name: "last_credential_use_at",
                table: "tenants");
        }
    }
}
