using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Provisioning.Infrastructure.Persistence.Migrations
{
    /// <summary>
    /// Each tenant's service accounts counted in slots (<c>tenant_service_account_counts</c>), as its apps are in
    /// <c>tenant_app_counts</c>: a per-row trigger on insert adds one to a slot no other transaction holds (or to a new
    /// one), so creates in one tenant never wait for each other; a statement-level trigger on delete takes each tenant's
    /// deleted accounts off one slot. The slots' row versions (<c>xmin</c>) are the version of the tenant's set of service
    /// accounts under which the v1.1 list remembers where its pages start (<c>Persistence/RememberedOffsetPages</c>):
    /// the v1.1 offsets of a tenant of 100,000 accounts took 16–48 times a small tenant's at a deep offset, every skipped
    /// account read. Existing accounts are counted here, in the migration's transaction (the triggers are in place before
    /// the count, and creating them waits for writes of <c>service_accounts</c> in flight; the trigger on <c>tenants</c>
    /// waits likewise for writes of tenants). A tenant with no slot has no account.
    /// <para>
    /// <b>A deleted tenant's slots go after its accounts</b>, in a statement trigger on <c>tenants</c>
    /// (<c>tenants_counters_deleted</c>), not by a foreign key's <c>ON DELETE CASCADE</c>: PostgreSQL runs a tenant's
    /// cascades in the order of their internal triggers' names, which end in their OIDs compared as text, so on a
    /// database whose OID counter had moved on the slots could go first; a tenant's deletion then held them while it
    /// waited for an account another transaction was deleting, whose trigger waited for a slot: a deadlock (a review
    /// reproduced it). A statement trigger runs after every cascade of its statement.
    /// </para>
    /// No model change.
    /// </summary>
    [DbContext(typeof(ProvisioningDbContext))]
    [Migration("20261205150000_ServiceAccountCounts")]
    public partial class ServiceAccountCounts : SchemaMigration
    {
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE TABLE tenant_service_account_counts (
                    tenant_id character varying(24) NOT NULL,
                    slot smallint NOT NULL,
                    accounts integer NOT NULL,
                    PRIMARY KEY (tenant_id, slot));

                CREATE FUNCTION count_tenant_service_accounts() RETURNS trigger LANGUAGE plpgsql AS $$
                DECLARE
                    free smallint;
                BEGIN
                    -- As count_tenant_apps: the lock is taken first, then the UPDATE changes exactly the row it holds.
                    SELECT slot INTO free FROM tenant_service_account_counts WHERE tenant_id = NEW.tenant_id LIMIT 1 FOR UPDATE SKIP LOCKED;
                    IF FOUND THEN
                        UPDATE tenant_service_account_counts SET accounts = accounts + 1 WHERE tenant_id = NEW.tenant_id AND slot = free;
                    ELSE
                        INSERT INTO tenant_service_account_counts (tenant_id, slot, accounts)
                        VALUES (NEW.tenant_id, (SELECT coalesce(max(slot) + 1, 0) FROM tenant_service_account_counts WHERE tenant_id = NEW.tenant_id), 1)
                        ON CONFLICT (tenant_id, slot) DO UPDATE SET accounts = tenant_service_account_counts.accounts + 1;
                    END IF;
                    RETURN NEW;
                END $$;

                CREATE FUNCTION count_deleted_tenant_service_accounts() RETURNS trigger LANGUAGE plpgsql AS $$
                DECLARE
                    gone record;
                    free smallint;
                BEGIN
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

                CREATE TRIGGER service_accounts_count_per_tenant AFTER INSERT ON service_accounts
                    FOR EACH ROW EXECUTE FUNCTION count_tenant_service_accounts();
                CREATE TRIGGER service_accounts_uncounted_per_statement AFTER DELETE ON service_accounts
                    REFERENCING OLD TABLE AS deleted_service_accounts FOR EACH STATEMENT EXECUTE FUNCTION count_deleted_tenant_service_accounts();

                -- A deleted tenant's slots, once its accounts are gone (its whole subtree's, level by level).
                CREATE FUNCTION delete_counters_of_deleted_tenants() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    DELETE FROM tenant_service_account_counts WHERE tenant_id IN (SELECT id FROM deleted_tenants);
                    RETURN NULL;
                END $$;

                CREATE TRIGGER tenants_counters_deleted AFTER DELETE ON tenants
                    REFERENCING OLD TABLE AS deleted_tenants FOR EACH STATEMENT EXECUTE FUNCTION delete_counters_of_deleted_tenants();

                INSERT INTO tenant_service_account_counts (tenant_id, slot, accounts)
                SELECT tenant_id, 0, count(*)::integer FROM service_accounts GROUP BY tenant_id;
                """);
        }

        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER tenants_counters_deleted ON tenants;
                DROP FUNCTION delete_counters_of_deleted_tenants();
                DROP TRIGGER service_accounts_uncounted_per_statement ON service_accounts;
                DROP TRIGGER service_accounts_count_per_tenant ON service_accounts;
                DROP FUNCTION count_deleted_tenant_service_accounts();
                DROP FUNCTION count_tenant_service_accounts();
                DROP TABLE tenant_service_account_counts;
                """);
        }
    }
}
