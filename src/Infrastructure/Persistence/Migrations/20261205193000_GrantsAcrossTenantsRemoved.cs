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
    /// no table lock beyond a delete's), and a deletion that reaches one of its rows waits for it, or it for the deletion.
    /// <para>
    /// Its rows are locked first (a materialized query, run once), in the order of the service's own deletions (<c>Persistence/CascadeLocks</c>: by app, then
    /// service account), so that it and they never wait for each other in a cycle. Deleted as they were found (a hash join
    /// walking the accounts as they lie on disk), an upgrade probe's 233,000 such grants deadlocked with the app deletions
    /// of the instances being upgraded on every attempt, and the new build did not start. (Changed the day it was written,
    /// before a release: the rows it deletes are the same.)
    /// </para>
    /// Down deletes nothing back. No model change.
    /// </summary>
    [DbContext(typeof(ProvisioningDbContext))]
    [Migration("20261205193000_GrantsAcrossTenantsRemoved")]
    public partial class GrantsAcrossTenantsRemoved : SchemaMigration
    {
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                WITH doomed AS MATERIALIZED (
                    SELECT g.service_account_id, g.app_id
                    FROM app_grants g
                    JOIN apps a ON a.id = g.app_id
                    JOIN service_accounts s ON s.id = g.service_account_id
                    WHERE a.tenant_id <> s.tenant_id
                    ORDER BY g.app_id, g.service_account_id
                    FOR UPDATE OF g)
                DELETE FROM app_grants g
                USING doomed d
                WHERE g.service_account_id = d.service_account_id AND g.app_id = d.app_id;
                """);
        }

        protected override void Down(MigrationBuilder migrationBuilder)
        {
        }
    }
}
