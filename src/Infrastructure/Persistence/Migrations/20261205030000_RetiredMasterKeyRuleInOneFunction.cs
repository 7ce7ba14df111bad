using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Provisioning.Infrastructure.Persistence.Migrations
{
    /// <summary>
    /// What makes an encrypted value one "under a retired master key" is said once, in
    /// <c>under_retired_master_key(bytea)</c>: a version-2 value whose 4-byte fingerprint is in <c>retired_master_keys</c>
    /// and is not the key a check value is under (<c>MasterKeyCheck</c> does not call that key retired: an older build's
    /// rotation back to it). <c>SecretsUnderRetiredKeysRefused</c> and <c>StoredAnswersUnderRetiredKeysRefused</c> spelled
    /// it out each; their trigger functions now ask this one and keep their own message and detail (and since 2026-12-05
    /// 06:00, <c>MasterKeyCheck</c> asks it about the configured key, by its version and key id). The function stays
    /// VOLATILE (plpgsql's default), so its one statement reads a fresh snapshot in READ COMMITTED, as the triggers' own
    /// statement did: a write that waited on a rotation's last step sees the retirement. Its call costs under a
    /// microsecond a row (100,000-row inserts through either trigger, alternating). No model change (no target model).
    /// </summary>
    [DbContext(typeof(ProvisioningDbContext))]
    [Migration("20261205030000_RetiredMasterKeyRuleInOneFunction")]
    public partial class RetiredMasterKeyRuleInOneFunction : SchemaMigration
    {
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE FUNCTION under_retired_master_key(protected bytea) RETURNS boolean LANGUAGE plpgsql AS $$
                BEGIN
                    RETURN get_byte(protected, 0) = 2
                       AND EXISTS (SELECT FROM retired_master_keys WHERE key_id = substring(protected FROM 2 FOR 4))
                       AND NOT EXISTS (SELECT FROM master_key_check
                                       WHERE get_byte(value, 0) = 2 AND substring(value FROM 2 FOR 4) = substring(protected FROM 2 FOR 4));
                END $$;

                CREATE OR REPLACE FUNCTION refuse_secret_under_retired_master_key() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF under_retired_master_key(NEW.protected_secret) THEN
                        RAISE EXCEPTION 'A key secret was not written: the instance writing it has a Provisioning:Secrets:MasterKey a finished rotate-secrets retired. Restart it with the key the last finished rotation moved the secrets to (docs/operations.md, "Rotate the master key").'
                            USING ERRCODE = 'PX503', DETAIL = format('The secret of key %s.', NEW.id);
                    END IF;
                    RETURN NEW;
                END $$;

                CREATE OR REPLACE FUNCTION refuse_answer_under_retired_master_key() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF under_retired_master_key(NEW.protected_body) THEN
                        RAISE EXCEPTION 'A stored answer was not written: the instance writing it has a Provisioning:Secrets:MasterKey a finished rotate-secrets retired. Restart it with the key the last finished rotation moved the secrets to (docs/operations.md, "Rotate the master key").'
                            USING ERRCODE = 'PX503', DETAIL = format('An answer of credential %s.', NEW.scope);
                    END IF;
                    RETURN NEW;
                END $$;
                """);
        }

        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE OR REPLACE FUNCTION refuse_secret_under_retired_master_key() RETURNS trigger LANGUAGE plpgsql AS $$
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

                CREATE OR REPLACE FUNCTION refuse_answer_under_retired_master_key() RETURNS trigger LANGUAGE plpgsql AS $$
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

                DROP FUNCTION under_retired_master_key(bytea);
                """);
        }
    }
}
