using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Provisioning.Infrastructure.Persistence.Migrations
{
    /// <summary>
    /// The collation <c>canonical</c> as <see cref="Collations.Canonical"/> declares it, on every database. Builds of
    /// 2026-12-03 between 10:42 and 12:19 created it with an earlier locale (<c>und</c>, then <c>und-u-kk-true</c>: case
    /// and width forms counted), and <c>CanonicalServiceAccountNames</c>, later edited to the final locale, says
    /// <c>CREATE COLLATION IF NOT EXISTS</c>, so a database one of them migrated kept the earlier definition. Judged by
    /// what it does, not by its stored locale (PostgreSQL 16 on rewrites ICU locales into canonical tags): when a
    /// full-width "Ａ" and "a", or a composed "é" and "e" with a combining acute, compare unequal, or "cafe" and "café"
    /// equal, the column goes to the default collation, the collation is made again, accounts that now compare equal
    /// within a tenant get their id appended to the later one's comparison key (as <c>CanonicalServiceAccountNames</c>
    /// does), and the column goes back. Nothing happens on a database without ICU (no such collation) or with the right
    /// one. No model change (no target model).
    /// </summary>
    [DbContext(typeof(ProvisioningDbContext))]
    [Migration("20261203134000_CanonicalCollationAsDeclared")]
    public partial class CanonicalCollationAsDeclared : SchemaMigration
    {
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DO $$
                BEGIN
                    IF NOT EXISTS (SELECT 1 FROM pg_collation WHERE collname = 'canonical' AND pg_collation_is_visible(oid)) THEN
                        RETURN;
                    END IF;
                    IF U&'\FF21' = 'a' COLLATE canonical AND U&'e\0301' = U&'\00E9' COLLATE canonical
                       AND 'cafe' <> U&'caf\00E9' COLLATE canonical THEN
                        RETURN;
                    END IF;

                    LOCK TABLE service_accounts IN SHARE ROW EXCLUSIVE MODE;
                    ALTER TABLE service_accounts ALTER COLUMN normalized_name TYPE character varying(100) COLLATE "default";
                    DROP COLLATION canonical;
                    CREATE COLLATION canonical (provider = icu, locale = 'und-u-ks-level2-kk-true', deterministic = false);

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

        /// <summary>Nothing to undo: the collation stays as declared (the earlier definitions were never intended).</summary>
        protected override void Down(MigrationBuilder migrationBuilder)
        {
        }
    }
}
