using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Provisioning.Infrastructure.Persistence.Migrations
{
    /// <summary>
    /// Service-account names are unique per tenant up to Unicode canonical equivalence as well as case: "Café" typed as
    /// one code point and as "e" plus a combining accent were two accounts that look the same. <c>normalized_name</c>
    /// (upper-cased by the domain) takes the nondeterministic ICU collation <c>canonical</c> (<see cref="Collations"/>),
    /// which folds case too, and so does its unique index. Hand-written around EF's operations for two cases:
    /// <list type="bullet">
    /// <item>PostgreSQL built without ICU cannot create the collation: the column keeps the database's default collation
    /// and names stay unique up to case only (docs/operations.md "Running").</item>
    /// <item>Accounts an older build let in under canonically equivalent names are all kept, as they are named: the later
    /// one's comparison key (never shown) gets its id appended, so that the index can be built; a rename recomputes it.
    /// (Down leaves those keys as they are: they are unique either way.)</item>
    /// </list>
    /// The column's rebuilt index holds the table (ACCESS EXCLUSIVE) for as long as it takes to build: service accounts
    /// are few, so a moment. A later change of this column must be written by hand too: EF's own would name a collation
    /// a database without ICU does not have.
    /// </summary>
    public partial class CanonicalServiceAccountNames : SchemaMigration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DO $$
                BEGIN
                    BEGIN
                        CREATE COLLATION IF NOT EXISTS canonical (provider = icu, locale = 'und-u-ks-level2-kk-true', deterministic = false);
                    EXCEPTION WHEN feature_not_supported THEN
                        RAISE WARNING 'PostgreSQL was built without ICU: service-account names stay unique up to case only';
                        RETURN;
                    END;

                    -- No account is made or renamed between the look for duplicates and the new index (an old instance
                    -- during a rolling upgrade): its name could be a duplicate the look did not see, and the index fail.
                    LOCK TABLE service_accounts IN SHARE ROW EXCLUSIVE MODE;

                    -- 75 + ' ' + a 24-character id: within the column's 100.
                    UPDATE service_accounts s
                    SET normalized_name = left(s.normalized_name, 75) || ' ' || s.id
                    WHERE EXISTS (
                        SELECT 1 FROM service_accounts o
                        WHERE o.tenant_id = s.tenant_id
                          AND o.normalized_name COLLATE canonical = s.normalized_name
                          AND (o.created_at, o.id) < (s.created_at, s.id));

                    ALTER TABLE service_accounts ALTER COLUMN normalized_name TYPE character varying(100) COLLATE canonical;
                END $$;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                ALTER TABLE service_accounts ALTER COLUMN normalized_name TYPE character varying(100) COLLATE "default";
                DROP COLLATION IF EXISTS canonical;
                """);
        }
    }
}
