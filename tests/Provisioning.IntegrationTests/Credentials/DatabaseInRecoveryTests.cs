using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Credentials;

/// <summary>
/// A database in recovery — a standby, or a restore replaying its log towards a point in time — may be behind the
/// revocations made on the primary or before the restore's target, and delivers no revocation notice. A point-in-time
/// restore probe found running instances authenticating against it while it replayed: keys deleted before the target time
/// answered 200 for seconds. No credential is checked against such a database: every request that carries one is 503 with
/// <c>Retry-After</c>, said at Error once a minute, not per request. On a local server of the test's own, restarted as a
/// standby of no primary.
/// </summary>
[Collection(ProcessTestCollection.Name)]
public sealed class DatabaseInRecoveryTests
{
    private const string Refused = "The database is in recovery (a standby, or a restore under way): credentials are not checked against it; retry after the seconds in Retry-After.";

    private const string Lookups = "provisioning.credential.lookups";

    [Fact]
    public async Task ADatabaseInRecovery_ChecksNoCredential_EachIs503WithRetryAfter_AndItIsSaidAtErrorOnce()
    {
        await using var server = await PostgresServer.StartLocalAsync();
        var database = await server.CreateDatabaseAsync("recovery_" + Guid.NewGuid().ToString("N")[..8]);
        var logs = new CollectingLoggerProvider();
        await using var instance = new ConfiguredServiceFactory(database, ServiceFixture.RootKeySettings(rateLimited: false),
            services: s => s.AddSingleton<ILoggerProvider>(logs));
        using var root = await instance.CreateRootClientAsync();
        using var measured = new ServiceMeasurements(instance);
        var account = await root.PostJsonAsync("/v2/serviceaccounts", new { displayName = "in recovery" }, HttpStatusCode.Created);
        var key = (await root.PostJsonAsync($"/v2/serviceaccounts/{(string)account["serviceAccount"]!["id"]!}/keys",
            new { displayName = "k" }, HttpStatusCode.Created))["key"]!;
        using var jwt = instance.CreateClient();
        jwt.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Jwt.ForKey((string)key["id"]!, (string)key["secret"]!));
        Assert.Equal(HttpStatusCode.OK, (await jwt.GetAsync("/v2/apps")).StatusCode);

        await server.RestartInRecoveryAsync();
        Assert.Equal(1, await Sql.CountAsync(database, "SELECT pg_is_in_recovery()::int"));

        // The instance's pooled sessions ended with the restart: its first requests may meet that (503 too). None is served.
        var waited = Stopwatch.StartNew();
        while (true)
        {
            using var response = await root.GetAsync("/v2/apps");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            if ((string?)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["errors"]![0]!["title"] == Refused)
            {
                break;
            }

            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(30), "The instance never reached the database in recovery.");
            await Task.Delay(200);
        }

        // Each credential, whatever it is — a valid key (Basic, a JWT), an id no key has —: 503, Retry-After, the same title.
        using var unknown = instance.CreateClient();
        unknown.DefaultRequestHeaders.Authorization = ServiceFixture.BasicHeader("act_" + new string('0', 24), "not a secret");
        var (unavailable, read) = (measured.Count(Lookups, "unavailable"), measured.Count(Lookups, "database"));
        foreach (var client in new[] { root, jwt, unknown, root, jwt })
        {
            using var response = await client.GetAsync("/v2/apps");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("1", response.Headers.GetValues("Retry-After").Single());
            var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["errors"]![0]!;
            Assert.Equal(("service_unavailable", Refused), ((string?)error["code"], (string?)error["title"]));
        }

        // Measured as such (docs/operations.md "Observability"): five lookups the database could not answer, none read.
        Assert.Equal((unavailable + 5, read), (measured.Count(Lookups, "unavailable"), measured.Count(Lookups, "database")));

        // Alive, not ready; and one Error line for the six refusals, none per request.
        Assert.Equal(HttpStatusCode.OK, (await instance.CreateClient().GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await instance.CreateClient().GetAsync("/readyz")).StatusCode);
        var said = logs.Lines.Where(l => l.Contains("The database is in recovery (pg_is_in_recovery()", StringComparison.Ordinal)).ToList();
        Assert.Equal("Error", Assert.Single(said).Split(' ')[0]);
        Assert.Contains(logs.Lines, l => l.Contains("Not ready (/readyz answers 503): The database is in recovery (a standby, or a restore", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Lines, l => l.Contains("Request failed with 503", StringComparison.Ordinal) && l.Contains("DatabaseInRecovery", StringComparison.Ordinal));

        // Nor does the instance send its heartbeats (every 0.5 s) while its listener cannot listen: a database in recovery
        // refused each, and its log got two errors a second from every instance.
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.DoesNotContain("cannot execute NOTIFY during recovery", await server.ReadLogAsync(), StringComparison.Ordinal);
    }
}
