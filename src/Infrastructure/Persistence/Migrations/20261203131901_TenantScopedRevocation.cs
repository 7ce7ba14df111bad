using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Provisioning.Infrastructure.Persistence.Migrations
{
    /// <summary>
    /// A tenant's suspension or resumption revokes the cached keys at or below that tenant, not every cached key: the
    /// notice (and the transaction's setting) names the tenant, <c>t:&lt;id&gt;</c>
    /// (<see cref="Credentials.Revocation.TenantPrefix"/>). Before, it sent <c>*</c> and every instance emptied its whole
    /// credential cache, so one tenant toggling a child's status sent every other tenant's requests to the database.
    /// The notice keeps a <c>*</c> beside the tenant for instances of older builds during a rolling upgrade (they drop
    /// everything on it, as before; this build ignores it when a tenant is named). <c>revoke_tenant_credentials</c> is
    /// <c>Lifecycle</c>'s, written out whole; Down puts that one back. No model change (no target model).
    /// </summary>
    [DbContext(typeof(ProvisioningDbContext))]
    [Migration("20261203131901_TenantScopedRevocation")]
    public partial class TenantScopedRevocation : SchemaMigration
    {
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE OR REPLACE FUNCTION revoke_tenant_credentials() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    PERFORM pg_notify('provisioning_credentials_revoked', 't:' || NEW.id || ',*');
                    PERFORM set_config('provisioning.revoked_keys',
                        coalesce(nullif(current_setting('provisioning.revoked_keys', true), ''), '') || ',t:' || NEW.id || ',*', true);
                    RETURN NEW;
                END $$;
                """);
        }

        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE OR REPLACE FUNCTION revoke_tenant_credentials() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    PERFORM pg_notify('provisioning_credentials_revoked', '*');
                    PERFORM set_config('provisioning.revoked_keys',
                        coalesce(nullif(current_setting('provisioning.revoked_keys', true), ''), '') || ',*', true);
                    RETURN NEW;
                END $$;
                """);
        }
    }
}
