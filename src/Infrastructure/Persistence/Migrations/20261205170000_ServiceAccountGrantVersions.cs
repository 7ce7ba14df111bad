using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Provisioning.Infrastructure.Persistence.Migrations
{
    /// <summary>
    /// A version of each service account's grants (<c>service_account_grant_versions</c>), under which the v1.1 list of
    /// the account's apps remembers where its pages start (<c>Persistence/GrantedApps</c>, with the tenant's apps' version
    /// from <c>tenant_app_counts</c>): a deep offset counted the grants skipped on every request, linear in the offset.
    /// <list type="bullet">
    /// <item>The version is the account's slots and their row versions (<c>xmin</c>), as the tenants' counter slots are
    /// the version of their apps: a row trigger on <c>app_grants</c> rewrites one slot no other transaction holds (or adds
    /// one), so grants to one account — and apps its service account creates, each granted to it — do not wait for each
    /// other once the account has a slot for each (as the counters, concurrent writers that find none free add one each
    /// in turn). Once per transaction and account: a slot this transaction rewrote already changed the version, so a bulk
    /// insert of grants costs one rewrite, not one per row (inside a savepoint the slot carries the subtransaction's id and
    /// each row rewrites it again: correct, only slower). An account without a slot has the version "".</item>
    /// <item>Not for a grant deleted with its app or its account (a cascade, or a deletion earlier in the transaction):
    /// an app's deletion changes its tenant's apps' version, and a deleted account has no list. So an app's deletion,
    /// which may take the grants of many accounts, writes none of their slots.</item>
    /// <item>A deleted account's slots go with it, in the statement trigger that uncounts deleted accounts
    /// (<c>count_deleted_tenant_service_accounts</c>, replaced here): no trigger is added to <c>service_accounts</c>, whose
    /// lock the migration would otherwise take after <c>app_grants</c>' — a grant waiting behind the migration for
    /// <c>app_grants</c> while holding its account's row, which an account's deletion waited for, closed a cycle in a
    /// review's reproduction, and <c>migrate</c> failed with 40P01.</item>
    /// </list>
    /// Nothing to fill in: every account starts at "" (no start is remembered across the upgrade: the processes that
    /// remember them are new). Creating the trigger waits for writes of <c>app_grants</c> in flight and holds new ones back
    /// until the migration commits; reads go on. No model change.
    /// </summary>
    [DbContext(typeof(ProvisioningDbContext))]
    [Migration("20261205170000_ServiceAccountGrantVersions")]
    public partial class ServiceAccountGrantVersions : SchemaMigration
    {
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE TABLE service_account_grant_versions (
                    service_account_id character varying(24) NOT NULL,
                    slot smallint NOT NULL,
                    PRIMARY KEY (service_account_id, slot));

                CREATE FUNCTION service_account_grants_changed() RETURNS trigger LANGUAGE plpgsql AS $$
                DECLARE
                    account text;
                    free smallint;
                BEGIN
                    -- Gone with its account (no list left; the account first: its deletion takes the most grants at once)
                    -- or its app (whose tenant's version changes).
                    IF TG_OP = 'DELETE' AND (NOT EXISTS (SELECT 1 FROM service_accounts WHERE id = OLD.service_account_id)
                                             OR NOT EXISTS (SELECT 1 FROM apps WHERE id = OLD.app_id)) THEN
                        RETURN NULL;
                    END IF;

                    FOREACH account IN ARRAY CASE TG_OP WHEN 'INSERT' THEN ARRAY[NEW.service_account_id]
                                                        WHEN 'DELETE' THEN ARRAY[OLD.service_account_id]
                                                        ELSE ARRAY[OLD.service_account_id, NEW.service_account_id] END LOOP
                        CONTINUE WHEN EXISTS (SELECT 1 FROM service_account_grant_versions
                                              WHERE service_account_id = account AND xmin = pg_current_xact_id()::xid);
                        -- As count_tenant_apps: the lock is taken first, then the UPDATE rewrites exactly the row it holds.
                        SELECT slot INTO free FROM service_account_grant_versions WHERE service_account_id = account LIMIT 1 FOR UPDATE SKIP LOCKED;
                        IF FOUND THEN
                            UPDATE service_account_grant_versions SET slot = free WHERE service_account_id = account AND slot = free;
                        ELSE
                            INSERT INTO service_account_grant_versions AS v (service_account_id, slot)
                            VALUES (account, (SELECT coalesce(max(slot) + 1, 0) FROM service_account_grant_versions WHERE service_account_id = account))
                            ON CONFLICT (service_account_id, slot) DO UPDATE SET slot = v.slot;
                        END IF;
                    END LOOP;
                    RETURN NULL;
                END $$;

                CREATE TRIGGER app_grants_versioned AFTER INSERT OR DELETE OR UPDATE OF service_account_id, app_id ON app_grants
                    FOR EACH ROW EXECUTE FUNCTION service_account_grants_changed();

                """ + DeletedAccounts(grantVersions: true));
        }

        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER app_grants_versioned ON app_grants;
                DROP FUNCTION service_account_grants_changed();

                """ + DeletedAccounts(grantVersions: false) + """

                DROP TABLE service_account_grant_versions;
                """);
        }

        /// <summary>
        /// The statement trigger's function for deleted service accounts (migration ServiceAccountCounts): each tenant's
        /// deleted accounts taken off one slot, and with <paramref name="grantVersions"/> their grants' version slots deleted.
        /// </summary>
        private static string DeletedAccounts(bool grantVersions) => $$"""
            CREATE OR REPLACE FUNCTION count_deleted_tenant_service_accounts() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE
                gone record;
                free smallint;
            BEGIN
                {{(grantVersions ? "DELETE FROM service_account_grant_versions WHERE service_account_id IN (SELECT id FROM deleted_service_accounts);" : "")}}
                -- As count_deleted_tenant_apps: tenants in id order, each one's deleted accounts taken off one slot.
                FOR gone IN SELECT tenant_id, count(*)::integer AS accounts FROM deleted_service_accounts GROUP BY tenant_id ORDER BY tenant_id LOOP
                    SELECT slot INTO free FROM tenant_service_account_counts WHERE tenant_id = gone.tenant_id LIMIT 1 FOR UPDATE SKIP LOCKED;
                    IF FOUND THEN
                        UPDATE tenant_service_account_counts SET accounts = accounts - gone.accounts WHERE tenant_id = gone.tenant_id AND slot = free;
                    ELSE
                        -- Every slot held by another transaction: wait for the first. None at all: no account was
                        -- counted (not through the API: every account is), and there is nothing to change.
                        UPDATE tenant_service_account_counts SET accounts = accounts - gone.accounts
                        WHERE tenant_id = gone.tenant_id
                          AND slot = (SELECT min(slot) FROM tenant_service_account_counts WHERE tenant_id = gone.tenant_id);
                    END IF;
                END LOOP;
                RETURN NULL;
            END $$;
            """;
    }
}
