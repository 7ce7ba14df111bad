using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Provisioning.Infrastructure.Persistence.Migrations
{
    /// <summary>
    /// The revocation triggers note what they revoke in the transaction-local setting the deleting instance reads before its
    /// commit (<see cref="Credentials.Revocation.RevokedSetting"/>). Each row rewrote the whole, growing list, so a deletion
    /// of n keys in one transaction copied n²/2 ids: through the API a tenant of 10,000 keys took 2.9 s to delete, and one
    /// of 20,000 passed the 30 s command timeout, 503 on every retry (a probe; the rewriting alone, in psql, took 25 s for
    /// 10,000 ids and 264 s for 30,000). The note is now
    /// bounded: past 8,000 characters (about 275 ids) it becomes <c>*</c>, and the deleting instance drops its whole cache
    /// (<see cref="Credentials.Revocation.Everything"/>); a few keys are still noted one by one. The notices to every
    /// instance stay one per key (PostgreSQL dedupes a transaction's notices by hashing, so they cost linear time). One
    /// function, <c>note_revoked</c>, now keeps the rule for both triggers, <c>revoke_api_key</c> (from
    /// <c>RevocationFollowsData</c>) and <c>revoke_tenant_credentials</c> (from <c>TenantScopedRevocation</c>): both are
    /// written out whole, and Down puts those back. No model change (no target model).
    /// </summary>
    [DbContext(typeof(ProvisioningDbContext))]
    [Migration("20261203220000_BoundedRevocationNote")]
    public partial class BoundedRevocationNote : SchemaMigration
    {
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE FUNCTION note_revoked(entry text) RETURNS void LANGUAGE plpgsql AS $$
                DECLARE
                    noted text := coalesce(current_setting('provisioning.revoked_keys', true), '');
                BEGIN
                    IF noted = '*' THEN
                        RETURN; -- everything already
                    ELSIF length(noted) + length(entry) >= 8000 THEN
                        PERFORM set_config('provisioning.revoked_keys', '*', true);
                    ELSE
                        PERFORM set_config('provisioning.revoked_keys', noted || ',' || entry, true);
                    END IF;
                END $$;

                CREATE OR REPLACE FUNCTION revoke_api_key() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    PERFORM pg_notify('provisioning_credentials_revoked', OLD.id);
                    PERFORM note_revoked(OLD.id);
                    RETURN OLD;
                END $$;

                CREATE OR REPLACE FUNCTION revoke_tenant_credentials() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    PERFORM pg_notify('provisioning_credentials_revoked', 't:' || NEW.id || ',*');
                    PERFORM note_revoked('t:' || NEW.id || ',*');
                    RETURN NEW;
                END $$;
                """);
        }

        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE OR REPLACE FUNCTION revoke_api_key() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    PERFORM pg_notify('provisioning_credentials_revoked', OLD.id);
                    PERFORM set_config('provisioning.revoked_keys',
                        coalesce(nullif(current_setting('provisioning.revoked_keys', true), ''), '') || ',' || OLD.id, true);
                    RETURN OLD;
                END $$;

                CREATE OR REPLACE FUNCTION revoke_tenant_credentials() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    PERFORM pg_notify('provisioning_credentials_revoked', 't:' || NEW.id || ',*');
                    PERFORM set_config('provisioning.revoked_keys',
                        coalesce(nullif(current_setting('provisioning.revoked_keys', true), ''), '') || ',t:' || NEW.id || ',*', true);
                    RETURN NEW;
                END $$;

                DROP FUNCTION note_revoked(text);
                """);
        }
    }
}
