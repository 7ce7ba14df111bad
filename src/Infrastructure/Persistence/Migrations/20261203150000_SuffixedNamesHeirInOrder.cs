using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Provisioning.Infrastructure.Persistence.Migrations
{
    /// <summary>
    /// <c>SuffixedNamesGetTheirKeyBack</c>'s trigger, mended (a probe of it):
    /// <list type="bullet">
    /// <item>It chose one heir from its snapshot and updated that row by id; when the heir was itself being deleted or
    /// renamed by another request, the update waited for it, then changed nothing (or gave the renamed account the key of
    /// its new name), and the next suffixed account kept its suffix: a third account was then made under the name (201 in
    /// 10 of 25 races). Now it tries the suffixed accounts in order, each update re-checking, once the row is its own,
    /// that the account is still suffixed and still has that name, until one takes the key, or a create that took the
    /// name meanwhile ends it.</item>
    /// <item>Its two triggers named <c>normalized_name</c> in their <c>WHEN</c> and column list, so PostgreSQL refused any
    /// later <c>ALTER COLUMN … TYPE</c> of the column ("used in a trigger definition"). One trigger on every update and
    /// delete now, the function deciding (a rename that leaves the key equal, or a suffixed key going, frees nothing).</item>
    /// </list>
    /// Only where the earlier migration made the function (PostgreSQL with ICU). Down puts the earlier triggers and
    /// function back. No model change (no target model).
    /// </summary>
    [DbContext(typeof(ProvisioningDbContext))]
    [Migration("20261203150000_SuffixedNamesHeirInOrder")]
    public partial class SuffixedNamesHeirInOrder : SchemaMigration
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

                    DROP TRIGGER service_accounts_name_freed_by_rename ON service_accounts;
                    DROP TRIGGER service_accounts_name_freed_by_delete ON service_accounts;
                    CREATE TRIGGER service_accounts_name_freed AFTER UPDATE OR DELETE ON service_accounts
                        FOR EACH ROW EXECUTE FUNCTION service_accounts_return_suffixed_key();
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

                    DROP TRIGGER service_accounts_name_freed ON service_accounts;
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
    }
}
