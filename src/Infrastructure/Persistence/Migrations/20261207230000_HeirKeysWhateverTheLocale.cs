using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Provisioning.Infrastructure.Persistence.Migrations
{
    /// <summary>
    /// The heir of a freed service-account name (<c>SuffixedNamesHeirInOrder</c>) found and keyed whatever the database's
    /// locale: the trigger upper-cased the heir's name with PostgreSQL's <c>upper()</c>, which follows the database's
    /// default collation, where the service upper-cases with .NET's invariant rules. In a Turkish database (glibc tr_TR, or
    /// ICU <c>tr</c>) "fix" became "FİX", with a dotted İ that the <c>canonical</c> collation tells from "FIX" (it compares
    /// accents); ICU <c>el</c> dropped Greek accents and any ICU locale turned ß into SS. So no heir was found, and a third
    /// account was made under a name the tenant still showed (201), or the wrong one was keyed (a probe of locales). Now
    /// <c>upper()</c> under "C", which changes ASCII letters only: <c>canonical</c> folds case anyway, so the comparison
    /// needs no more, and the key compares equal to the service's under it. The heirs' index (<c>SuffixedHeirsIndexUsable</c>)
    /// stays as it is: it holds only suffixed accounts (a few), and the search finds a tenant's by its first column and its
    /// predicate, the name then compared on those few; making it again would hold every writer of the table while it is
    /// built, in every upgrade. The heirs the old function missed are given their key by the next migration
    /// (<c>HeirsTheOldTriggerMissed</c>), once this one has committed: until then other sessions still run the old function.
    /// Only where the trigger function exists (PostgreSQL with ICU). No model change (no target model). Down puts the earlier
    /// function back.
    /// </summary>
    [DbContext(typeof(ProvisioningDbContext))]
    [Migration("20261207230000_HeirKeysWhateverTheLocale")]
    public partial class HeirKeysWhateverTheLocale : SchemaMigration
    {
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DO $outer$
                BEGIN
                    IF to_regproc('service_accounts_return_suffixed_key') IS NULL THEN
                        RETURN;
                    END IF;

                    CREATE OR REPLACE FUNCTION service_accounts_return_suffixed_key() RETURNS trigger LANGUAGE plpgsql AS $$
                    DECLARE
                        heir text;
                    BEGIN
                        IF right(OLD.normalized_name, 25) COLLATE "C" = ' ' || OLD.id THEN
                            RETURN NULL;
                        END IF;
                        IF TG_OP = 'UPDATE' AND OLD.normalized_name = NEW.normalized_name THEN
                            RETURN NULL;
                        END IF;
                        FOR heir IN
                            SELECT s.id FROM service_accounts s
                            WHERE s.tenant_id = OLD.tenant_id
                              AND right(s.normalized_name, 25) COLLATE "C" = ' ' || s.id
                              AND upper(btrim(s.display_name) COLLATE "C") COLLATE canonical = OLD.normalized_name
                            ORDER BY s.created_at, s.id
                        LOOP
                            BEGIN
                                UPDATE service_accounts SET normalized_name = upper(btrim(display_name) COLLATE "C")
                                WHERE id = heir
                                  AND right(normalized_name, 25) COLLATE "C" = ' ' || id
                                  AND upper(btrim(display_name) COLLATE "C") COLLATE canonical = OLD.normalized_name;
                                IF FOUND THEN
                                    RETURN NULL;
                                END IF;
                            EXCEPTION WHEN unique_violation THEN
                                RETURN NULL;
                            END;
                        END LOOP;
                        RETURN NULL;
                    END $$;
                END $outer$;
                """);
        }

        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DO $outer$
                BEGIN
                    IF to_regproc('service_accounts_return_suffixed_key') IS NULL THEN
                        RETURN;
                    END IF;

                    CREATE OR REPLACE FUNCTION service_accounts_return_suffixed_key() RETURNS trigger LANGUAGE plpgsql AS $$
                    DECLARE
                        heir text;
                    BEGIN
                        IF right(OLD.normalized_name, 25) COLLATE "C" = ' ' || OLD.id THEN
                            RETURN NULL;
                        END IF;
                        IF TG_OP = 'UPDATE' AND OLD.normalized_name = NEW.normalized_name THEN
                            RETURN NULL;
                        END IF;
                        FOR heir IN
                            SELECT s.id FROM service_accounts s
                            WHERE s.tenant_id = OLD.tenant_id
                              AND right(s.normalized_name, 25) COLLATE "C" = ' ' || s.id
                              AND upper(btrim(s.display_name)) COLLATE canonical = OLD.normalized_name
                            ORDER BY s.created_at, s.id
                        LOOP
                            BEGIN
                                UPDATE service_accounts SET normalized_name = upper(btrim(display_name))
                                WHERE id = heir
                                  AND right(normalized_name, 25) COLLATE "C" = ' ' || id
                                  AND upper(btrim(display_name)) COLLATE canonical = OLD.normalized_name;
                                IF FOUND THEN
                                    RETURN NULL;
                                END IF;
                            EXCEPTION WHEN unique_violation THEN
                                RETURN NULL;
                            END;
                        END LOOP;
                        RETURN NULL;
                    END $$;

                END $outer$;
                """);
        }
    }
}
