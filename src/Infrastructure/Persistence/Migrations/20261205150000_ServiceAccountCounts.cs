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
    /// the count, and creating them waits for writes of <c>service_accounts</c> in flight). A tenant with no slot has no
    /// account (or is being deleted, its slots gone with it: then a deletion has nothing to change). No model change.
    /// </summary>
    [DbContext(typeof(ProvisioningDbContext))]
    [Migration("20261205150000_ServiceAccountCounts")]
    public partial class ServiceAccountCounts : SchemaMigration
    {
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE TABLE tenant_service_account_counts (
                    tenant_id character varying(24) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
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
                            -- Every slot held by another transaction: wait for the first. None at all: the tenant itself is
                            -- being deleted (its slots went with it), and there is nothing to change.
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

                INSERT INTO tenant_service_account_counts (tenant_id, slot, accounts)
                SELECT tenant_id, 0, count(*)::integer FROM service_accounts GROUP BY tenant_id;
                """);
        }

        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER service_accounts_uncounted_per_statement ON service_accounts;
                DROP TRIGGER service_accounts_count_per_tenant ON service_accounts;
                DROP FUNCTION count_deleted_tenant_service_accounts();
                DROP FUNCTION count_tenant_service_accounts();
                DROP TABLE tenant_service_account_counts;
                """);
        }
    }
}
