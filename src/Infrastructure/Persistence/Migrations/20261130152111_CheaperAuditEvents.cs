using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Provisioning.Infrastructure.Persistence.Migrations
{
    /// <summary>
    /// Less to write per audit event: viewer rows no longer carry a checked foreign key to their event (the pruner deletes
    /// them with it), and events have no created_at index (the pruner goes by their time-ordered id).
    /// </summary>
    public partial class CheaperAuditEvents : SchemaMigration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "fk_audit_event_viewers_audit_events_event_id",
                table: "audit_event_viewers");

            migrationBuilder.DropIndex(
                name: "ix_audit_events_created_at",
                table: "audit_events");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "ix_audit_events_created_at",
                table: "audit_events",
                column: "created_at");

            migrationBuilder.AddForeignKey(
                name: "fk_audit_event_viewers_audit_events_event_id",
                table: "audit_event_viewers",
                column: "event_id",
                principalTable: "audit_events",
                principalColumn: "id",
                onDelete: ReferentialAction.Cascade);
        }
    }
}
