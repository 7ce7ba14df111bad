using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Provisioning.Infrastructure.Persistence.Migrations
{
    /// <summary>
    /// The claim of an <c>Idempotency-Key</c> as one statement that returns no rows and fails when the key is taken, so
    /// that it can ride in front of the transaction's first statement instead of costing a round trip before it
    /// (<c>Idempotency/IdempotencyStore</c>): the advisory lock of the (credential, key) pair, <c>PX409</c> when another
    /// request holds it; then, in a query of its own (its snapshot taken after the lock), <c>PX200</c> when an answer is
    /// stored. A failure aborts the transaction: nothing sent after it runs.
    /// </summary>
    public partial class ClaimWithTheFirstStatement : SchemaMigration
    {
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(
                """
                CREATE PROCEDURE idempotency_claim(claim_scope text, claim_key text, lock_seed bigint)
                LANGUAGE plpgsql AS $$
                BEGIN
                    IF NOT pg_try_advisory_xact_lock(hashtextextended(claim_scope || chr(31) || claim_key, lock_seed)) THEN
                        RAISE EXCEPTION 'Idempotency-Key held by a running request' USING ERRCODE = 'PX409';
                    END IF;
                    IF EXISTS (SELECT 1 FROM idempotency_records r WHERE r.scope = claim_scope AND r.key = claim_key) THEN
                        RAISE EXCEPTION 'Idempotency-Key already answered' USING ERRCODE = 'PX200';
                    END IF;
                END $$;
                """);
        }

        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP PROCEDURE idempotency_claim(text, text, bigint);");
        }
    }
}
