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
    /// <item>The version is the account's rows' slots and row versions (<c>xmin</c>), as the tenants' counter slots are
    /// the version of their apps: a row trigger on <c>app_grants</c> rewrites one slot no other transaction holds (or adds
    /// one), so grants to one account — and apps one service account creates, each granted to it — never wait for each
    /// other. Once per transaction and account: a slot this transaction rewrote already changed the version, so a bulk
    /// insert of grants costs one rewrite, not one per row. An account without a slot has the version "".</item>
    /// <item>Only for grants written by a statement of their own (<c>pg_trigger_depth() = 0</c>): those deleted by a
    /// cascade go with their app — whose deletion changes the tenant's apps' version — or with their account (the list is
    /// then gone). So an app's deletion, which may cascade to the grants of many accounts, writes none of their slots.</item>
    /// <item>A deleted account's slots go in a statement trigger on <c>service_accounts</c>, after its cascades.</item>
    /// </list>
    /// Nothing to fill in: every account starts at "" (no start is remembered across the upgrade: the processes that
    /// remember them are new). Creating the triggers waits for writes of <c>app_grants</c> and <c>service_accounts</c> in
    /// flight and holds new ones back until the migration commits; reads go on. No model change.
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
                    FOR EACH ROW WHEN (pg_trigger_depth() = 0) EXECUTE FUNCTION service_account_grants_changed();

                CREATE FUNCTION delete_grant_versions_of_deleted_service_accounts() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    DELETE FROM service_account_grant_versions WHERE service_account_id IN (SELECT id FROM gone_service_accounts);
                    RETURN NULL;
                END $$;

                CREATE TRIGGER service_accounts_grant_versions_deleted AFTER DELETE ON service_accounts
                    REFERENCING OLD TABLE AS gone_service_accounts FOR EACH STATEMENT
                    EXECUTE FUNCTION delete_grant_versions_of_deleted_service_accounts();
                """);
        }

        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER service_accounts_grant_versions_deleted ON service_accounts;
                DROP FUNCTION delete_grant_versions_of_deleted_service_accounts();
                DROP TRIGGER app_grants_versioned ON app_grants;
                DROP FUNCTION service_account_grants_changed();
                DROP TABLE service_account_grant_versions;
                """);
        }
    }
}
