using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Provisioning.Infrastructure.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class SubtreeBudgets : SchemaMigration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "max_tenants",
                table: "tenants",
                type: "integer",
                nullable: true);

            // Budgets over the subtree (see TenantBudgets): what each budgeted tenant's subtree holds, and every
            // tenant's own apps in 16 slots kept by a trigger, so that no request counts rows.
            migrationBuilder.Sql(
                """
                ALTER TABLE tenants
                    ADD COLUMN subtree_apps integer NOT NULL DEFAULT 0,
                    ADD COLUMN descendant_tenants integer NOT NULL DEFAULT 0;

                CREATE TABLE tenant_app_counts (
                    tenant_id character varying(24) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
                    slot smallint NOT NULL,
                    apps integer NOT NULL,
                    PRIMARY KEY (tenant_id, slot));

                CREATE FUNCTION count_tenant_apps() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF TG_OP = 'INSERT' THEN
                        INSERT INTO tenant_app_counts (tenant_id, slot, apps)
                        VALUES (NEW.tenant_id, floor(random() * 16)::smallint, 1)
                        ON CONFLICT (tenant_id, slot) DO UPDATE SET apps = tenant_app_counts.apps + 1;
                        RETURN NEW;
                    END IF;
                    -- A slot may go below zero; only the sum means something. When the tenant itself is being
                    -- deleted its counters are already gone and this changes nothing.
                    UPDATE tenant_app_counts SET apps = apps - 1
                    WHERE tenant_id = OLD.tenant_id
                      AND slot = (SELECT c.slot FROM tenant_app_counts c WHERE c.tenant_id = OLD.tenant_id ORDER BY c.apps DESC LIMIT 1);
                    RETURN OLD;
                END $$;

                CREATE TRIGGER apps_count_per_tenant AFTER INSERT OR DELETE ON apps
                    FOR EACH ROW EXECUTE FUNCTION count_tenant_apps();

                INSERT INTO tenant_app_counts (tenant_id, slot, apps)
                SELECT tenant_id, 0, count(*) FROM apps GROUP BY tenant_id;

                UPDATE tenants t SET subtree_apps = (
                    SELECT coalesce(sum(c.apps), 0) FROM tenant_app_counts c JOIN tenants d ON d.id = c.tenant_id
                    WHERE d.path @> ARRAY[t.id]::text[])
                WHERE t.max_apps IS NOT NULL;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(
                """
                DROP TRIGGER apps_count_per_tenant ON apps;
                DROP FUNCTION count_tenant_apps();
                DROP TABLE tenant_app_counts;
                ALTER TABLE tenants DROP COLUMN subtree_apps, DROP COLUMN descendant_tenants;
                """);

            migrationBuilder.DropColumn(
                name: "max_tenants",
                table: "tenants");
        }
    }
}
