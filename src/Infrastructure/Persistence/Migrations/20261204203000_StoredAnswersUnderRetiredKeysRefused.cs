using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Provisioning.Infrastructure.Persistence.Migrations
{
    /// <summary>
    /// The database refuses a stored answer of an idempotent request written under a retired master key, as
    /// <c>SecretsUnderRetiredKeysRefused</c> does a key secret (same rule, same <c>PX503</c>, the same exception for a key a
    /// check value is under). An instance left on the old key hears a finished rotation's notice and refuses such writes
    /// itself (<c>Security/RetiredMasterKeyWatch</c>), but not while its listener is away (a probe: 8 and 41 answers stored
    /// under the retired key in the second after a rotation whose notice it missed, replayed as 500 once that key was
    /// dropped), nor an answer it had encrypted before the rotation committed (the write waits on the rotation's last step,
    /// then goes in), nor from a build from before the notice. Each statement of the trigger reads a fresh snapshot (in READ
    /// COMMITTED, the service's isolation, and while the function stays VOLATILE), so a write that waited on the last step's
    /// lock sees the retirement. Cost: one look into the (small) retired keys' table per stored answer (≈ 30–40 µs in
    /// pgbench, noisy). No model change (no target model). The rule itself moved into <c>under_retired_master_key</c>
    /// (<c>RetiredMasterKeyRuleInOneFunction</c>), which this trigger's function now asks.
    /// </summary>
    [DbContext(typeof(ProvisioningDbContext))]
    [Migration("20261204203000_StoredAnswersUnderRetiredKeysRefused")]
    public partial class StoredAnswersUnderRetiredKeysRefused : SchemaMigration
    {
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE FUNCTION refuse_answer_under_retired_master_key() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF get_byte(NEW.protected_body, 0) = 2
                       AND EXISTS (SELECT FROM retired_master_keys WHERE key_id = substring(NEW.protected_body FROM 2 FOR 4))
                       AND NOT EXISTS (SELECT FROM master_key_check
                                       WHERE get_byte(value, 0) = 2 AND substring(value FROM 2 FOR 4) = substring(NEW.protected_body FROM 2 FOR 4)) THEN
                        RAISE EXCEPTION 'A stored answer was not written: the instance writing it has a Provisioning:Secrets:MasterKey a finished rotate-secrets retired. Restart it with the key the last finished rotation moved the secrets to (docs/operations.md, "Rotate the master key").'
                            USING ERRCODE = 'PX503', DETAIL = format('An answer of credential %s.', NEW.scope);
                    END IF;
                    RETURN NEW;
                END $$;

                CREATE TRIGGER idempotency_records_answer_under_a_usable_master_key
                    BEFORE INSERT OR UPDATE OF protected_body ON idempotency_records
                    FOR EACH ROW EXECUTE FUNCTION refuse_answer_under_retired_master_key();
                """);
        }

        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER idempotency_records_answer_under_a_usable_master_key ON idempotency_records;
                DROP FUNCTION refuse_answer_under_retired_master_key();
                """);
        }
    }
}
