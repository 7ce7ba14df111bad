using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Provisioning.Infrastructure.Persistence.Migrations
{
    /// <summary>
    /// An event's id is made by the database when the event is inserted (<c>audit_event_id()</c>, the column's default):
    /// 48 bits of the database clock's milliseconds, then 48 bits of a sequence (so events of one millisecond keep the
    /// order they were written in). And <c>audit_event_horizon()</c>: the millisecond before which every event that will
    /// ever be visible already is — the earliest start of a transaction that has written to <c>audit_events</c> and not
    /// yet ended, or the start of the statement asking. The events reader shows only events below it, so a reader that
    /// follows the trail with <c>page[after]</c> cannot pass an event that commits later (ids are time-ordered, commits
    /// are not; a probe lost 22–63 of 320 events with eight writers). Both clocks are the database's, so no instance's clock enters. No model
    /// change (no target model).
    /// </summary>
    [DbContext(typeof(ProvisioningDbContext))]
    [Migration("20261201220000_EventIdsFromTheDatabaseClock")]
    public partial class EventIdsFromTheDatabaseClock : SchemaMigration
    {
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE SEQUENCE audit_event_order;

                CREATE FUNCTION audit_event_id() RETURNS varchar(24) LANGUAGE sql VOLATILE AS $$
                  SELECT lpad(to_hex(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0')
                      || lpad(to_hex(nextval('audit_event_order') % 281474976710656), 12, '0')
                $$;

                ALTER TABLE audit_events ALTER COLUMN id SET DEFAULT audit_event_id();

                -- Sessions of the same role (or pg_read_all_stats) show their xact_start; instances connect as one role.
                -- statement_timestamp(), not clock_timestamp(): it is taken before pg_locks and pg_stat_activity are read, so a
                -- writer the scans missed (it inserted after them, or began between the two reads) has ids at or above it.
                CREATE FUNCTION audit_event_horizon() RETURNS text LANGUAGE sql VOLATILE AS $$
                  SELECT lpad(to_hex(floor(extract(epoch FROM least(statement_timestamp(), min(a.xact_start))) * 1000)::bigint), 12, '0')
                  FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                  WHERE l.locktype = 'relation' AND l.relation = 'audit_events'::regclass AND l.mode = 'RowExclusiveLock'
                    AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                    AND l.pid <> pg_backend_pid()
                $$;
                """);
        }

        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP FUNCTION audit_event_horizon();
                ALTER TABLE audit_events ALTER COLUMN id DROP DEFAULT;
                DROP FUNCTION audit_event_id();
                DROP SEQUENCE audit_event_order;
                """);
        }
    }
}
