using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Provisioning.Infrastructure.Persistence.Migrations
{
    /// <summary>
    /// Deletes the grants that pair a service account and an app of two tenants, which <c>GrantsWithinOneTenant</c> refuses
    /// from then on but left in place. Only SQL could make them (the API grants between the acting tenant's own), and none
    /// ever gave access (every read of an app is the caller's tenant's) or was shown; but each took a place in the v1.1
    /// offsets of its account's apps, which are counted on the grants (<c>Persistence/GrantedApps</c>): a page from such an
    /// offset on started later than <c>ORDER BY id OFFSET n</c> of the apps listed, and came back short. The grants' trigger
    /// versions each account whose grants it deletes, so no page start remembered under the old grants is used again.
    /// One pass over the grants, their apps and accounts by primary key; grants and revocations go on meanwhile (it takes
    /// no table lock beyond a delete's), a deletion that reaches one of the rows it deletes waits for it (their row locks
    /// are taken in another order: a deadlock between them is run again, the migration by <c>MigrateDatabaseAsync</c>).
    /// Down deletes nothing back. No model change.
    /// </summary>
    [DbContext(typeof(ProvisioningDbContext))]
    [Migration("20261205193000_GrantsAcrossTenantsRemoved")]
    public partial class GrantsAcrossTenantsRemoved : SchemaMigration
    {
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DELETE FROM app_grants g
                USING apps a, service_accounts s
                WHERE a.id = g.app_id AND s.id = g.service_account_id AND a.tenant_id <> s.tenant_id;
                """);
        }

        protected override void Down(MigrationBuilder migrationBuilder)
        {
        }
    }
}
