using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Provisioning.Infrastructure.Persistence.Migrations
{
    /// <summary>
    /// The app-count trigger adds to a counter slot no other transaction holds, instead of a random one of 16.
    /// With a random slot, 16 concurrent creates in one tenant collided on a slot most of the time and each collision
    /// waited for the other transaction's commit (its fsync included): creates in one tenant were largely serialised.
    /// Now a create takes the first unlocked slot (<c>FOR UPDATE SKIP LOCKED</c>) and opens a new slot only when every
    /// slot is held, so a tenant has about as many slots as it ever had concurrent creates, and a create never waits for
    /// another. A delete does the same, and waits for a slot only when all are held (none exist once the tenant itself is
    /// being deleted: then it changes nothing, as before). Only the sum of a tenant's slots means anything.
    /// </summary>
    public partial class FreeCounterSlots : SchemaMigration
    {
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(
                """
                CREATE OR REPLACE FUNCTION count_tenant_apps() RETURNS trigger LANGUAGE plpgsql AS $$
                DECLARE
                    tenant character varying(24) := CASE WHEN TG_OP = 'INSERT' THEN NEW.tenant_id ELSE OLD.tenant_id END;
                    delta integer := CASE WHEN TG_OP = 'INSERT' THEN 1 ELSE -1 END;
                    free smallint;
                BEGIN
                    -- Two statements, not an UPDATE joined to a SKIP LOCKED subquery: the lock is taken first, and the
                    -- UPDATE (a statement of its own, so a fresh snapshot) changes exactly the row it holds.
                    SELECT slot INTO free FROM tenant_app_counts WHERE tenant_id = tenant LIMIT 1 FOR UPDATE SKIP LOCKED;
                    IF FOUND THEN
                        UPDATE tenant_app_counts SET apps = apps + delta WHERE tenant_id = tenant AND slot = free;
                    ELSE
                        IF TG_OP = 'INSERT' THEN
                            INSERT INTO tenant_app_counts (tenant_id, slot, apps)
                            VALUES (tenant, (SELECT coalesce(max(slot) + 1, 0) FROM tenant_app_counts WHERE tenant_id = tenant), 1)
                            ON CONFLICT (tenant_id, slot) DO UPDATE SET apps = tenant_app_counts.apps + 1;
                        ELSE
                            UPDATE tenant_app_counts SET apps = apps - 1
                            WHERE tenant_id = tenant AND slot = (SELECT min(slot) FROM tenant_app_counts WHERE tenant_id = tenant);
                        END IF;
                    END IF;
                    RETURN CASE WHEN TG_OP = 'INSERT' THEN NEW ELSE OLD END;
                END $$;
                """);
        }

        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(
                """
                CREATE OR REPLACE FUNCTION count_tenant_apps() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF TG_OP = 'INSERT' THEN
                        INSERT INTO tenant_app_counts (tenant_id, slot, apps)
                        VALUES (NEW.tenant_id, floor(random() * 16)::smallint, 1)
                        ON CONFLICT (tenant_id, slot) DO UPDATE SET apps = tenant_app_counts.apps + 1;
                        RETURN NEW;
                    END IF;
                    UPDATE tenant_app_counts SET apps = apps - 1
                    WHERE tenant_id = OLD.tenant_id
                      AND slot = (SELECT c.slot FROM tenant_app_counts c WHERE c.tenant_id = OLD.tenant_id ORDER BY c.apps DESC LIMIT 1);
                    RETURN OLD;
                END $$;
                """);
        }
    }
}
