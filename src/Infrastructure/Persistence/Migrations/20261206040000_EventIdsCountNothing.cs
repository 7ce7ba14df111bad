using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Provisioning.Infrastructure.Persistence.Migrations
{
    /// <summary>
    /// An event's id no longer counts the service's events. Its last 48 bits were a sequence shared by every tenant
    /// (<c>EventIdsFromTheDatabaseClock</c>), so a tenant reading two of its own events' ids learnt how many changes every other
    /// tenant had made between them (a hostile sweep: the gap was exactly their count plus one). Now, after the same 48 bits of
    /// the database clock's milliseconds: 10 bits of the microsecond within that millisecond, then 38 bits drawn at random
    /// (from <c>gen_random_uuid()</c>, a strong source) once per transaction and counted up from there by each further event
    /// of that transaction (a transaction-local setting).
    /// So ids stay time-ordered to the microsecond, a transaction's events keep the order they were written in, and an id
    /// says nothing of other transactions. Two ids are equal only if two transactions write an event in the same microsecond
    /// with overlapping counts from their random starts (about one chance in 2^38 for each such pair: at ten thousand events
    /// a second, about once in a century; the insert that meets an equal id fails, and its transaction is run again,
    /// <c>TransientConflict</c>). <c>audit_event_horizon()</c> reads the milliseconds only and is unchanged; so are the
    /// ids already written. The sequence <c>audit_event_order</c> is left, unused: dropped here, an insert running the old
    /// function while this migration commits would wait behind the drop, then fail on a sequence gone; a later migration,
    /// once no session can run the old function, can drop it. No model change (no target model).
    /// </summary>
    [DbContext(typeof(ProvisioningDbContext))]
    [Migration("20261206040000_EventIdsCountNothing")]
    public partial class EventIdsCountNothing : SchemaMigration
    {
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE OR REPLACE FUNCTION audit_event_id() RETURNS varchar(24) LANGUAGE plpgsql VOLATILE AS $$
                DECLARE
                  micros bigint := floor(extract(epoch FROM clock_timestamp()) * 1000000)::bigint;
                  previous text := current_setting('provisioning.event_order', true);
                  n bigint;
                BEGIN
                  IF previous IS NULL OR previous = '' THEN
                    -- 38 of a version-4 UUID's random bits (its first 10 hex digits are random): random() is a session's
                    -- own generator, whose state a few ids of one session would give away, and with it what else drew from it.
                    n := ('x' || substr(replace(gen_random_uuid()::text, '-', ''), 1, 10))::bit(40)::bigint & 274877906943; -- 2^38 - 1
                  ELSE
                    n := (previous::bigint + 1) & 274877906943;
                  END IF;
                  PERFORM set_config('provisioning.event_order', n::text, true);
                  RETURN lpad(to_hex(micros / 1000), 12, '0') || lpad(to_hex(((micros % 1000) << 38) | n), 12, '0');
                END $$;
                """);
        }

        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE OR REPLACE FUNCTION audit_event_id() RETURNS varchar(24) LANGUAGE sql VOLATILE AS $$
                  SELECT lpad(to_hex(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0')
                      || lpad(to_hex(nextval('audit_event_order') % 281474976710656), 12, '0')
                $$;
                """);
        }
    }
}
