using System.Globalization;
using System.Net;
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
        var gap = Last(ids[1]) - Last(ids[0]);
        Assert.True(Math.Abs(gap) > 1_000_000, $"the last parts of {ids[0]} and {ids[1]} are {gap} apart: a count of something");
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

    /// <summary>An id's last 12 hex digits (what followed the millisecond) as a number.</summary>
    private static long Last(string id) => long.Parse(id[12..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
}
