using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Provisioning.Infrastructure.Persistence.Migrations
{
    /// <summary>
    /// A grant pairs a service account and an app of one tenant: the database's rule now, not only the API's (which grants
    /// only between the acting tenant's own). A service account's app lists are read from its grants
    /// (<c>Persistence/GrantedApps</c>): a grant to another tenant's app, made in SQL, was never shown (the tenant's
    /// condition on each app) but took a place in the v1.1 offsets counted on the grants. Checked per row on insert and
    /// update (two primary-key reads); rows already there are not checked. A service account or app missing (deleted
    /// while the grant was made) is left to the foreign keys, whose 23503 the service answers (RacingRequestsTests).
    /// No model change (no target model).
    /// </summary>
    [DbContext(typeof(ProvisioningDbContext))]
    [Migration("20261205130000_GrantsWithinOneTenant")]
    public partial class GrantsWithinOneTenant : SchemaMigration
    {
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE FUNCTION app_grants_within_one_tenant() RETURNS trigger
                LANGUAGE plpgsql AS $$
                DECLARE
                    app_tenant text := (SELECT tenant_id FROM apps WHERE id = NEW.app_id);
                    account_tenant text := (SELECT tenant_id FROM service_accounts WHERE id = NEW.service_account_id);
                BEGIN
                    -- Either gone (deleted meanwhile): the foreign keys' answer (23503), which the service knows, not this one.
                    IF app_tenant <> account_tenant THEN
                        RAISE EXCEPTION 'a grant pairs a service account and an app of one tenant (service account %, app %)',
                            NEW.service_account_id, NEW.app_id
                            USING ERRCODE = 'check_violation', CONSTRAINT = 'ck_app_grants_within_one_tenant';
                    END IF;
                    RETURN NEW;
                END $$;

                CREATE TRIGGER app_grants_within_one_tenant
                    BEFORE INSERT OR UPDATE OF service_account_id, app_id ON app_grants
                    FOR EACH ROW EXECUTE FUNCTION app_grants_within_one_tenant();
                """);
        }

        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER app_grants_within_one_tenant ON app_grants;
                DROP FUNCTION app_grants_within_one_tenant();
                """);
        }
    }
}
