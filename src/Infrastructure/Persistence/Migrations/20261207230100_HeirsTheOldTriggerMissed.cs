using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Provisioning.Infrastructure.Persistence.Migrations
{
    /// <summary>
    /// The service accounts the heir trigger's old function missed (<c>HeirKeysWhateverTheLocale</c>): suffixed under a name
    /// no account holds any more, in a database whose locale made PostgreSQL's <c>upper()</c> differ from the service's. Each
    /// gets its key, the earliest first, as the trigger would have given it. Looked for first, with no lock: no session
    /// can make such an account any more (the function that keys heirs whatever the locale committed with the previous
    /// migration, and no request makes a suffixed key), so an upgrade with none takes no lock a writer waits for — once the
    /// transactions writing <c>service_accounts</c> as it begins have ended (waited for without a lock, as
    /// <c>CREATE INDEX CONCURRENTLY</c> waits, a minute at most; the look assumes READ COMMITTED, the default, to see
    /// their commits): one that ran the old function just before it was
    /// replaced and committed after the look left its orphan unrepaired (a rolling-upgrade probe, with a deletion held
    /// open 12 s; a third account was then made under the name). Where
    /// there is one, <c>service_accounts</c> is taken (EXCLUSIVE: writers and row locks wait, plain reads go on — a tenant's
    /// deletion locks its accounts' rows first, and under a weaker mode it and this update each waited for the other).
    /// Only where the trigger function exists (PostgreSQL with ICU). No model change (no target model). Down changes nothing
    /// back: the keys given are the trigger's own.
    /// </summary>
    [DbContext(typeof(ProvisioningDbContext))]
    [Migration("20261207230100_HeirsTheOldTriggerMissed")]
    public partial class HeirsTheOldTriggerMissed : SchemaMigration
    {
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DO $outer$
                DECLARE
                    orphan record;
                    writers text[];
                BEGIN
                    IF to_regproc('service_accounts_return_suffixed_key') IS NULL THEN
                        RETURN;
                    END IF;

                    -- A deletion or rename that ran the old function before it was replaced, its transaction still open,
                    -- shows its holder here until it commits, so its orphan would be missed: the transactions writing
                    -- service_accounts now are waited for (a minute at most), holding no lock, as CREATE INDEX
                    -- CONCURRENTLY waits — by their virtual transaction ids in pg_locks, read afresh at each look, any
                    -- role's (pg_stat_activity is a snapshot for the whole transaction, and hides other roles' starts).
                    SELECT coalesce(array_agg(DISTINCT l.virtualtransaction), '{}') INTO writers FROM pg_locks l
                    WHERE l.locktype = 'relation' AND l.relation = 'service_accounts'::regclass
                      AND l.mode = 'RowExclusiveLock' AND l.granted AND l.pid <> pg_backend_pid();
                    FOR waited IN 1..1200 LOOP
                        EXIT WHEN NOT EXISTS (SELECT 1 FROM pg_locks l WHERE l.virtualtransaction = ANY (writers));
                        PERFORM pg_sleep(0.05);
                    END LOOP;

                    IF EXISTS (SELECT 1 FROM service_accounts s
                               WHERE right(s.normalized_name, 25) COLLATE "C" = ' ' || s.id
                                 AND NOT EXISTS (SELECT 1 FROM service_accounts o WHERE o.tenant_id = s.tenant_id
                                                   AND o.normalized_name = upper(btrim(s.display_name) COLLATE "C") COLLATE canonical)) THEN
                        LOCK TABLE service_accounts IN EXCLUSIVE MODE;
                        FOR orphan IN
                            SELECT s.id, s.tenant_id, s.display_name FROM service_accounts s
                            WHERE right(s.normalized_name, 25) COLLATE "C" = ' ' || s.id
                            ORDER BY s.created_at, s.id
                        LOOP
                            UPDATE service_accounts SET normalized_name = upper(btrim(display_name) COLLATE "C")
                            WHERE id = orphan.id
                              AND NOT EXISTS (SELECT 1 FROM service_accounts o WHERE o.tenant_id = orphan.tenant_id
                                                AND o.normalized_name = upper(btrim(orphan.display_name) COLLATE "C") COLLATE canonical);
                        END LOOP;
                    END IF;
                END $outer$;
                """);
        }

        protected override void Down(MigrationBuilder migrationBuilder)
        {
        }
    }
}
