using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Provisioning.Infrastructure.Persistence.Migrations
{
    /// <summary>
    /// A stored answer's <c>Location</c> is <c>text</c>, not <c>varchar(2048)</c>: a user added under a key has the escaped
    /// email in it, and an email of 254 code points in other scripts than Latin passes 2048 characters (an ideograph escapes
    /// to 9), so the stored answer's <c>INSERT</c> failed, rolled the user back, and every retry answered 500 (a review).
    /// PostgreSQL changes the type without rewriting a row (varchar to text is binary-coercible). In the model (and the
    /// snapshot), so it keeps EF's own shape, with its Designer file. Down deletes the stored answers whose
    /// <c>Location</c> the old column cannot hold (their retries run again: a user's add answers 200, already there).
    /// </summary>
    public partial class StoredLocationsOfAnyLength : SchemaMigration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterColumn<string>(
                name: "location",
                table: "idempotency_records",
                type: "text",
                nullable: true,
                oldClrType: typeof(string),
                oldType: "character varying(2048)",
                oldMaxLength: 2048,
                oldNullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DELETE FROM idempotency_records WHERE length(location) > 2048;");
            migrationBuilder.AlterColumn<string>(
                name: "location",
                table: "idempotency_records",
                type: "character varying(2048)",
                maxLength: 2048,
                nullable: true,
                oldClrType: typeof(string),
                oldType: "text",
                oldNullable: true);
        }
    }
}
