using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Idempotency;

/// <summary>
/// PostgreSQL goes away at the worst moments of a create sent with Idempotency-Key (through a TCP proxy that cuts every
/// connection): a retry after the database is back replays the answer when the effect had committed, and runs exactly
/// once when it had not. Either way there is one app.
/// </summary>
[Collection(ServiceTestCollection.Name)]
public sealed class IdempotencyOutageTests(ServiceFixture service)
{
    /// <summary>What the proxy watches for: the batch that stores an idempotent answer and commits it.</summary>
    private static readonly string[] AnswerAndCommit = ["INSERT INTO idempotency_records", "COMMIT"];

    /// <summary>
    /// An instance of its own on its own database, through a proxy, with statements in plain text (no auto-preparation)
    /// so the proxy can recognise the commit.
    /// </summary>
    private async Task<(TcpProxy Proxy, ConfiguredServiceFactory Instance, string Database)> StartBehindProxyAsync(string name)
    {
        var database = await service.Postgres.CreateMigratedDatabaseAsync(name + "_" + Guid.NewGuid().ToString("N")[..8]);
        var (proxy, viaProxy) = TcpProxy.InFrontOf(database);
        var instance = new ConfiguredServiceFactory(viaProxy + ";Max Auto Prepare=0", ServiceFixture.RootKeySettings(rateLimited: false));
        return (proxy, instance, database);
    }

    private static HttpRequestMessage Create(string name) => new(HttpMethod.Post, "/v2/apps")
    {
        Content = new StringContent($$"""{"displayName":"{{name}}"}""", Encoding.UTF8, "application/json"),
        Headers = { { "Idempotency-Key", "outage-" + name } },
    };

    private static async Task<HttpResponseMessage> SendPastOutageAsync(HttpClient client, Func<HttpRequestMessage> request)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var response = await client.SendAsync(request());
            if (response.StatusCode != HttpStatusCode.ServiceUnavailable || DateTime.UtcNow > deadline)
            {
                return response;
            }

            response.Dispose();
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task LeadingStatementsRideWithTheTransactionsFirstStatement_NotRoundTripsOfTheirOwn()
    {
        var (proxy, instance, _) = await StartBehindProxyAsync("idem_trip");
        await using var __ = proxy;
        await using var ___ = instance;
        using var client = await instance.CreateRootClientAsync();

        // Fires only if BEGIN, the claim and the command's statements leave in one write, i.e. one round trip.
        Task<(HttpStatusCode Status, bool OneTrip)> SendAsync(string[] firstStatement, HttpRequestMessage request) =>
            SendTogetherAsync(["BEGIN", "CALL idempotency_claim", .. firstStatement], request);

        async Task<(HttpStatusCode Status, bool OneTrip)> SendTogetherAsync(string[] statements, HttpRequestMessage request)
        {
            var together = false;
            proxy.OnNextSend(statements, () =>
            {
                together = true;
                return Task.CompletedTask;
            });
            using var response = await client.SendAsync(request);
            return (response.StatusCode, together);
        }

        // A create: its first command is EF's save, whose results EF reads by statement position, so nothing can go in
        // front of its INSERTs, and the claim must run before them: it and the budget's reservation take a round trip.
        var created = await SendAsync(["CALL budget_reserve"], Create("one trip"));
        Assert.Equal((HttpStatusCode.Created, true), created);
        var appId = await AppIdAsync(client, "one trip");

        // Without a key the reservation goes with the BEGIN, before the INSERTs (TenantBudgets.Reserve says why not behind them).
        var plain = await SendTogetherAsync(["BEGIN", "CALL budget_reserve"],
            new HttpRequestMessage(HttpMethod.Post, "/v2/apps")
            {
                Content = new StringContent("""{"displayName":"plain trip"}""", Encoding.UTF8, "application/json"),
            });
        Assert.Equal((HttpStatusCode.Created, true), plain);

        // ...and never in the INSERTs' write (it could only go behind them there): after the INSERT's foreign-key check
        // the reservation's UPDATE trips PostgreSQL's multixact error under concurrent creates (TenantBudgets.Reserve).
        var apart = await SendTogetherAsync(["CALL budget_reserve", "INSERT INTO apps"],
            new HttpRequestMessage(HttpMethod.Post, "/v2/apps")
            {
                Content = new StringContent("""{"displayName":"apart trip"}""", Encoding.UTF8, "application/json"),
            });
        Assert.Equal((HttpStatusCode.Created, false), apart);

        // An update: its first statement is an EF query.
        var updated = await SendAsync(["FROM apps"], new HttpRequestMessage(HttpMethod.Patch, $"/v2/apps/{appId}")
        {
            Content = new StringContent("""{"displayName":"renamed"}""", Encoding.UTF8, "application/json"),
            Headers = { { "Idempotency-Key", "trip-update" } },
        });
        Assert.Equal((HttpStatusCode.OK, true), updated);

        // A replay is found by the same statement, and nothing after it runs: the name stays.
        using var again = await client.SendAsync(new HttpRequestMessage(HttpMethod.Patch, $"/v2/apps/{appId}")
        {
            Content = new StringContent("""{"displayName":"renamed"}""", Encoding.UTF8, "application/json"),
            Headers = { { "Idempotency-Key", "trip-update" } },
        });
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal("true", again.Headers.GetValues("Idempotent-Replayed").Single());
    }

    private static async Task<string> AppIdAsync(HttpClient client, string name)
    {
        var apps = JsonNode.Parse(await client.GetStringAsync("/v2/apps"))!["apps"]!.AsArray();
        return (string)apps.Single(a => (string?)a!["displayName"] == name)!["id"]!;
    }

    [Fact]
    public async Task WhileTheFirstRequestIsStillRunning_ASecondWithItsKeyIs409WithRetryAfter_EvenWithAnotherBody_ThenTheAnswerIsReplayed()
    {
        var (proxy, instance, _) = await StartBehindProxyAsync("idem_running");
        await using var __ = proxy;
        await using var ___ = instance;
        using var client = await instance.CreateRootClientAsync();

        // The first request is held just before its commit reaches PostgreSQL, holding its key.
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        proxy.OnNextSend(AnswerAndCommit, async () =>
        {
            reached.SetResult();
            await release.Task;
        });
        var first = client.SendAsync(Create("held"));
        await reached.Task.WaitAsync(TimeSpan.FromSeconds(30));

        using (var same = await client.SendAsync(Create("held")))
        {
            Assert.Equal(HttpStatusCode.Conflict, same.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(1), same.Headers.RetryAfter?.Delta);
            Http.AssertV2Error(JsonNode.Parse(await same.Content.ReadAsStringAsync())!, "conflict");
        }

        using (var other = new HttpRequestMessage(HttpMethod.Post, "/v2/apps")
        {
            Content = new StringContent("""{"displayName":"another body"}""", Encoding.UTF8, "application/json"),
            Headers = { { "Idempotency-Key", "outage-held" } },
        })
        using (var answer = await client.SendAsync(other))
        {
            // Which request ran cannot be known before it commits: 409 first, 422 once it has.
            Assert.Equal(HttpStatusCode.Conflict, answer.StatusCode);
        }

        release.SetResult();
        using var created = await first;
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using (var replay = await client.SendAsync(Create("held")))
        {
            Assert.Equal("true", replay.Headers.GetValues("Idempotent-Replayed").Single());
            Assert.Equal(await created.Content.ReadAsStringAsync(), await replay.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task TheDatabaseLostBetweenTheEffectAndTheAnswer_ARetryReplays_AndWhenLostBeforeTheCommit_ARetryRunsOnce()
    {
        var (proxy, instance, database) = await StartBehindProxyAsync("idem_outage");
        await using var _ = proxy;
        await using var __ = instance;
        using var client = await instance.CreateRootClientAsync();

        Task<int> AppsNamedAsync(string name) => Sql.CountAsync(database, "SELECT count(*) FROM apps WHERE display_name = $1", name);

        // 1. The commit reached PostgreSQL and was done, then the connection died before its answer: the client sees a 5xx.
        proxy.OnNextSend(AnswerAndCommit, () => Task.CompletedTask, cutBeforeAnswer: true);
        using (var lost = await client.SendAsync(Create("committed")))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, lost.StatusCode);
        }

        proxy.Restore();
        using (var retry = await SendPastOutageAsync(client, () => Create("committed")))
        {
            Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
            Assert.Equal("true", retry.Headers.GetValues("Idempotent-Replayed").Single());
        }

        Assert.Equal(1, await AppsNamedAsync("committed"));

        // 2. PostgreSQL went away just before the commit reached it: nothing was written, so the retry runs (once).
        proxy.OnNextSend(AnswerAndCommit, () =>
        {
            proxy.Cut();
            return Task.CompletedTask;
        });
        using (var failed = await client.SendAsync(Create("rolled-back")))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        }

        proxy.Restore();
        string appId;
        using (var retry = await SendPastOutageAsync(client, () => Create("rolled-back")))
        {
            Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
            Assert.False(retry.Headers.Contains("Idempotent-Replayed"));
            appId = (string)JsonNode.Parse(await retry.Content.ReadAsStringAsync())!["app"]!["id"]!;
        }

        using (var again = await client.SendAsync(Create("rolled-back")))
        {
            Assert.Equal(appId, (string?)JsonNode.Parse(await again.Content.ReadAsStringAsync())!["app"]!["id"]);
        }

        Assert.Equal(1, await AppsNamedAsync("rolled-back"));
    }
}
