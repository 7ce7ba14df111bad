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
    /// <para>
    /// Only where there are such grants (one pass over the grants, their apps and accounts to find the first, with no
    /// lock a writer waits for; sound because the trigger of GrantsWithinOneTenant makes no new one meanwhile) does it
    /// take <c>app_grants</c> in EXCLUSIVE mode: it waits for the transactions in flight that wrote or locked grants and
    /// holds new ones back until it commits (the service locks an app's grants with <c>FOR UPDATE</c> before deleting
    /// it, which SHARE ROW EXCLUSIVE would let through); plain reads go on. Holding the table, its delete waits for no
    /// row, and what its trigger writes (<c>service_account_grant_versions</c>) is written only by sessions that hold
    /// <c>app_grants</c> (the grants' trigger; an account deletion's statement trigger, which runs after its cascade into
    /// <c>app_grants</c>), none of which can be open now: so it and the requests of instances still running during a
    /// rolling upgrade cannot deadlock.
    /// </para>
    /// <para>
    /// Its first version deleted the rows as found (a hash join walking the accounts as they lie on disk): an upgrade
    /// probe's 233,000 such grants deadlocked with the old instance's app deletions on all five attempts, and the new
    /// build did not start. Locked first in the order of the service's app deletions, they still deadlocked with a
    /// tenant deletion, whose cascade takes its accounts' grants on other tenants' apps in no order. (Both changes were
    /// made the day it was written, before a release: the rows it deletes are the same.)
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
                DO $$
                BEGIN
                    IF EXISTS (SELECT 1 FROM app_grants g
                               JOIN apps a ON a.id = g.app_id
                               JOIN service_accounts s ON s.id = g.service_account_id
                               WHERE a.tenant_id <> s.tenant_id) THEN
                        LOCK TABLE app_grants IN EXCLUSIVE MODE;
                        DELETE FROM app_grants g
                        USING apps a, service_accounts s
                        WHERE a.id = g.app_id AND s.id = g.service_account_id AND a.tenant_id <> s.tenant_id;
                    END IF;
                END $$;
                """);
        }

        protected override void Down(MigrationBuilder migrationBuilder)
        {
        }
    }
}
