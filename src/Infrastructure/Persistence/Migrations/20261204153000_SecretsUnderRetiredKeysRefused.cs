using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Provisioning.Infrastructure.Persistence.Migrations
{
    /// <summary>
    /// The database refuses a key secret written under a retired master key (<c>retired_master_keys</c>, by the 4-byte
    /// fingerprint a version-2 secret carries after its version byte, <c>Security/AesGcmSecretProtector</c>), with SQLSTATE
    /// <c>PX503</c>: an instance left on the old key after a rotation finished (its <c>/readyz</c> says so, but a load
    /// balancer may keep sending it requests, and nothing polls it in some deployments) would otherwise create keys that
    /// stop working once the old key is dropped from the configuration — a customer's credential lost. A trigger, so
    /// instances of any build are held to it, from the moment the rotation's retirement commits; a key a check value is under
    /// is not refused, as <c>MasterKeyCheck</c> does not call it retired (an older build's rotation back to it). The message is
    /// the same every time (the key id in its detail), so the service's fault log gives it one stack trace. Key secrets only here: they
    /// live as long as their keys and are written rarely (a key's creation, a rotation); the stored answers of idempotent
    /// requests (also encrypted) got the same rule later, in <c>StoredAnswersUnderRetiredKeysRefused</c>, once its cost on
    /// every keyed change was measured. The service answers <c>PX503</c> 503 (<c>Persistence/DatabaseUnavailable</c>), the message in its
    /// Error line. No model change (no target model). The rule itself moved into <c>under_retired_master_key</c>
    /// (<c>RetiredMasterKeyRuleInOneFunction</c>), which this trigger's function now asks.
    /// </summary>
    [DbContext(typeof(ProvisioningDbContext))]
    [Migration("20261204153000_SecretsUnderRetiredKeysRefused")]
    public partial class SecretsUnderRetiredKeysRefused : SchemaMigration
    {
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE FUNCTION refuse_secret_under_retired_master_key() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF get_byte(NEW.protected_secret, 0) = 2
                       AND EXISTS (SELECT FROM retired_master_keys WHERE key_id = substring(NEW.protected_secret FROM 2 FOR 4))
                       AND NOT EXISTS (SELECT FROM master_key_check
                                       WHERE get_byte(value, 0) = 2 AND substring(value FROM 2 FOR 4) = substring(NEW.protected_secret FROM 2 FOR 4)) THEN
                        RAISE EXCEPTION 'A key secret was not written: the instance writing it has a Provisioning:Secrets:MasterKey a finished rotate-secrets retired. Restart it with the key the last finished rotation moved the secrets to (docs/operations.md, "Rotate the master key").'
                            USING ERRCODE = 'PX503', DETAIL = format('The secret of key %s.', NEW.id);
                    END IF;
                    RETURN NEW;
                END $$;

                CREATE TRIGGER api_keys_secret_under_a_usable_master_key
                    BEFORE INSERT OR UPDATE OF protected_secret ON api_keys
                    FOR EACH ROW EXECUTE FUNCTION refuse_secret_under_retired_master_key();
                """);
        }

        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER api_keys_secret_under_a_usable_master_key ON api_keys;
                DROP FUNCTION refuse_secret_under_retired_master_key();
                """);
        }
    }
}
