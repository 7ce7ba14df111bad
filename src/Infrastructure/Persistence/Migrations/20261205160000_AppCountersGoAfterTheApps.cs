using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Provisioning.Infrastructure.Persistence.Migrations
{
    /// <summary>
    /// A deleted tenant's app counter slots (<c>tenant_app_counts</c>) go after its apps, as its service accounts' do
    /// (migration ServiceAccountCounts): by the statement trigger on <c>tenants</c>, which runs after every cascade of its
    /// statement, instead of the foreign key's <c>ON DELETE CASCADE</c>, whose turn among the tenant's cascades depends
    /// on OIDs compared as text. Had the slots gone first, a tenant's deletion would hold them while waiting for an app
    /// another transaction was deleting, whose counting trigger waits for a slot: a deadlock. Databases made in one go
    /// had the apps' cascade first; one whose OID counter crossed a power of ten between the two tables may not.
    /// Dropping the foreign key holds writes of <c>tenant_app_counts</c> (every app create and delete) and of
    /// <c>tenants</c> for the moment it takes. No model change.
    /// </summary>
    [DbContext(typeof(ProvisioningDbContext))]
    [Migration("20261205160000_AppCountersGoAfterTheApps")]
    public partial class AppCountersGoAfterTheApps : SchemaMigration
    {
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE OR REPLACE FUNCTION delete_counters_of_deleted_tenants() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    DELETE FROM tenant_app_counts WHERE tenant_id IN (SELECT id FROM deleted_tenants);
                    DELETE FROM tenant_service_account_counts WHERE tenant_id IN (SELECT id FROM deleted_tenants);
                    RETURN NULL;
                END $$;

                ALTER TABLE tenant_app_counts DROP CONSTRAINT tenant_app_counts_tenant_id_fkey;
                """);
        }

        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DELETE FROM tenant_app_counts c WHERE NOT EXISTS (SELECT 1 FROM tenants t WHERE t.id = c.tenant_id);
                ALTER TABLE tenant_app_counts ADD CONSTRAINT tenant_app_counts_tenant_id_fkey
                    FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE;

                CREATE OR REPLACE FUNCTION delete_counters_of_deleted_tenants() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    DELETE FROM tenant_service_account_counts WHERE tenant_id IN (SELECT id FROM deleted_tenants);
                    RETURN NULL;
                END $$;
                """);
        }
    }
}
