using System.Globalization;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Audit;

/// <summary>
/// An event's id is PostgreSQL's (<c>audit_event_id()</c>): the database clock's millisecond, its microsecond, then 38 bits
/// drawn once per transaction and counted up within it. Its last part was a sequence every tenant shared, and a hostile sweep
/// read other tenants' activity from it: between two of a tenant's own events, the gap was exactly the number of changes made
/// anywhere else, plus one.
/// </summary>
[Collection(ServiceTestCollection.Name)]
public sealed class EventIdTests(ServiceFixture service)
{
    [Fact]
    public async Task TwoOfATenantsEventIds_SayNothingOfTheChangesOtherTenantsMadeBetweenThem()
    {
        var watcher = await service.NewTenantAsync(name: "Watcher");
        var busy = await service.NewTenantAsync(name: "Busy");
        var app = (string)(await watcher.Client().PostJsonAsync("/v2/apps", new { displayName = "watched" }, HttpStatusCode.Created))["app"]!["id"]!;
        for (var i = 0; i < 5; i++)
        {
            await busy.Client().PostJsonAsync("/v2/apps", new { displayName = $"busy {i}" }, HttpStatusCode.Created);
        }

        await watcher.Client().PatchJsonAsync($"/v2/apps/{app}", new { displayName = "watched again" });

        var events = (await watcher.Client().GetJsonAsync($"/v2/events?filter[resourceId]={app}"))["events"]!.AsArray();
        var ids = events.Select(e => (string)e!["id"]!).ToList();
        Assert.Equal(2, ids.Count);
        Assert.True(string.CompareOrdinal(ids[0], ids[1]) < 0, "the trail is in id order, oldest first");
        // With a shared sequence the two differed by 6 in their last part: the five events of the other tenant, plus one.
        // Below the microsecond (which differs between any two requests), what is left must not be a count of anything.
        var gap = Counted(ids[1]) - Counted(ids[0]);
        Assert.True(Math.Abs(gap) > 1_000, $"the last 38 bits of {ids[0]} and {ids[1]} are {gap} apart: a count of something");
    }

    [Fact]
    public async Task AnEventIdAnotherTransactionHasDrawn_IsDrawnAgain_TheChangeIsMadeOnce()
    {
        // Two transactions may draw one id (the same microsecond and random part: about once in a century at ten thousand
        // events a second). The change whose event meets the other's id is run again and draws afresh; it was a 500. Here,
        // on a database of the test's own, the first event inserted after the trigger is made takes an existing event's id.
        var database = await service.Postgres.CreateMigratedDatabaseAsync("event_id_taken_" + Guid.NewGuid().ToString("N")[..8]);
        var logs = new CollectingLoggerProvider();
        await using var instance = new ConfiguredServiceFactory(database, ServiceFixture.RootKeySettings(rateLimited: false),
            services: s => s.AddSingleton<ILoggerProvider>(logs));
        using var root = await instance.CreateRootClientAsync();
        await Sql.ExecuteAsync(database, """
            CREATE SEQUENCE first_event_collides;
            CREATE FUNCTION first_event_collides() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF nextval('first_event_collides') = 1 THEN -- not rolled back with the transaction: once
                NEW.id := (SELECT min(id) FROM audit_events);
              END IF;
              RETURN NEW;
            END $$;
            CREATE TRIGGER first_event_collides BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION first_event_collides();
            """);

        var app = (string)(await root.PostJsonAsync("/v2/apps", new { displayName = "its event's id was taken" }, HttpStatusCode.Created))["app"]!["id"]!;

        Assert.Equal(1, await Sql.CountAsync(database, "SELECT count(*) FROM apps WHERE id = $1", app));
        Assert.Equal(1, await Sql.CountAsync(database, "SELECT count(*) FROM audit_events WHERE resource_id = $1", app));
        Assert.Equal(3, await Sql.CountAsync(database, "SELECT nextval('first_event_collides')::int")); // fired twice: the collision, the run again
        Assert.Contains(logs.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains("running it again", StringComparison.Ordinal)
                                         && l.Contains("23505", StringComparison.Ordinal));
    }

    [Fact]
    public async Task IdsMadeInOneTransaction_RiseInTheOrderTheyWereMade_AndIdsOfManyTransactionsAreDistinct()
    {
        // One transaction: 10,000 ids, each above the one before.
        Assert.Equal(0, await Sql.CountAsync(service.ConnectionString, """
            SELECT count(*) FROM (
              SELECT id, lag(id) OVER (ORDER BY n) AS before FROM (SELECT n, audit_event_id() AS id FROM generate_series(1, 10000) n) s
            ) t WHERE id <= before
            """));

        // 2,000 transactions of five ids each (a procedure commits after each): 10,000 distinct ids, each transaction's rising.
        var table = "made_ids_" + Guid.NewGuid().ToString("N")[..8];
        await Sql.ExecuteAsync(service.ConnectionString, $"CREATE TABLE {table} (tx int, n int, id text)");
        try
        {
            await Sql.ExecuteAsync(service.ConnectionString, $$"""
                DO $$
                BEGIN
                  FOR tx IN 1..2000 LOOP
                    INSERT INTO {{table}} SELECT tx, n, audit_event_id() FROM generate_series(1, 5) n;
                    COMMIT;
                  END LOOP;
                END $$
                """);
            Assert.Equal(10_000, await Sql.CountAsync(service.ConnectionString, $"SELECT count(DISTINCT id) FROM {table}"));
            Assert.Equal(0, await Sql.CountAsync(service.ConnectionString,
                $"SELECT count(*) FROM (SELECT id, lag(id) OVER (PARTITION BY tx ORDER BY n) AS before FROM {table}) t WHERE id <= before"));
        }
        finally
        {
            await Sql.ExecuteAsync(service.ConnectionString, $"DROP TABLE {table}");
        }
    }

    /// <summary>An id's last 38 bits: what follows the millisecond (12 hex digits) and the microsecond (10 bits).</summary>
    private static long Counted(string id) => long.Parse(id[12..], NumberStyles.HexNumber, CultureInfo.InvariantCulture) & ((1L << 38) - 1);
}
