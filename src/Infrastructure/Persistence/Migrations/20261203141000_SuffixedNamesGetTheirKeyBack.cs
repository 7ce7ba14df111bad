using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Provisioning.Infrastructure.Persistence.Migrations
{
    /// <summary>
    /// An account whose comparison key <c>CanonicalServiceAccountNames</c> (or <c>CanonicalCollationAsDeclared</c>)
    /// suffixed with its id — the later of two an older build let in under one name — gets its plain key back once the
    /// account that kept the name no longer has it (renamed or deleted). Before, the name then counted as free while the
    /// suffixed account still showed it, and a third account was made under it (an upgrade probe). A trigger, so every
    /// way a key changes or a row goes (a rename, a delete, a tenant's cascade) is covered: it looks for such an account in
    /// the tenant (the earliest, when several), and gives it the key its name has (upper-cased as the domain does; the
    /// collation folds case, so PostgreSQL's <c>upper</c> compares alike). When a new account took the name in a
    /// transaction that committed meanwhile, the suffixed one keeps its suffix. Only where the collation exists: without
    /// ICU no key was suffixed. No model change (no target model).
    /// </summary>
    [DbContext(typeof(ProvisioningDbContext))]
    [Migration("20261203141000_SuffixedNamesGetTheirKeyBack")]
    public partial class SuffixedNamesGetTheirKeyBack : SchemaMigration
    {
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DO $outer$
                BEGIN
                    IF NOT EXISTS (SELECT 1 FROM pg_collation WHERE collname = 'canonical' AND pg_collation_is_visible(oid)) THEN
                        RETURN;
                    END IF;

                    CREATE FUNCTION service_accounts_return_suffixed_key() RETURNS trigger LANGUAGE plpgsql AS $$
                    DECLARE
                        heir text;
                    BEGIN
                        SELECT s.id INTO heir FROM service_accounts s
                        WHERE s.tenant_id = OLD.tenant_id
                          AND right(s.normalized_name, 25) COLLATE "C" = ' ' || s.id
                          AND upper(btrim(s.display_name)) COLLATE canonical = OLD.normalized_name
                          AND NOT EXISTS (SELECT 1 FROM service_accounts o
                                          WHERE o.tenant_id = s.tenant_id
                                            AND o.normalized_name = upper(btrim(s.display_name)) COLLATE canonical)
                        ORDER BY s.created_at, s.id
                        LIMIT 1;
                        IF heir IS NOT NULL THEN
                            BEGIN
                                UPDATE service_accounts SET normalized_name = upper(btrim(display_name)) WHERE id = heir;
                            EXCEPTION WHEN unique_violation THEN
                                NULL;
                            END;
                        END IF;
                        RETURN NULL;
                    END $$;

                    CREATE TRIGGER service_accounts_name_freed_by_rename AFTER UPDATE OF normalized_name ON service_accounts
                        FOR EACH ROW WHEN (OLD.normalized_name IS DISTINCT FROM NEW.normalized_name
                                           AND right(OLD.normalized_name, 25) COLLATE "C" <> ' ' || OLD.id)
                        EXECUTE FUNCTION service_accounts_return_suffixed_key();
                    CREATE TRIGGER service_accounts_name_freed_by_delete AFTER DELETE ON service_accounts
                        FOR EACH ROW WHEN (right(OLD.normalized_name, 25) COLLATE "C" <> ' ' || OLD.id)
                        EXECUTE FUNCTION service_accounts_return_suffixed_key();
                END $outer$;
                """);
        }

        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER IF EXISTS service_accounts_name_freed_by_rename ON service_accounts;
                DROP TRIGGER IF EXISTS service_accounts_name_freed_by_delete ON service_accounts;
                DROP FUNCTION IF EXISTS service_accounts_return_suffixed_key();
                """);
        }
    }
}
