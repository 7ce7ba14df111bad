using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Provisioning.Infrastructure.Credentials;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Persistence;

/// <summary>
/// The service behind a real PgBouncer in transaction mode (docs/operations.md, "PgBouncer"): its requests' connections
/// through the pooler, whose two server sessions every transaction of both instances shares, and what must keep a session
/// — the revocation listener, the migrations' lock — on <c>ConnectionStrings:ProvisioningSession</c>.
/// </summary>
[Collection(ProcessTestCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class TransactionPoolerTests(ServiceFixture service)
{
    private const int ServerSessions = 2;

    [Fact]
    public async Task TwoInstancesBehindATransactionPooler_WithASessionString_RevokeAtOnce_KeepABudget_AndReplayRetries()
    {
        var database = await service.Postgres.CreateDatabaseAsync("transaction_pooled_" + Guid.NewGuid().ToString("N")[..8]);
        await using var bouncer = await PgBouncer.StartAsync(service.Postgres.ConnectionString, "transaction", ServerSessions);
        var settings = ServiceFixture.RootKeySettings(rateLimited: false);
        settings["ConnectionStrings:ProvisioningSession"] = database;
        var logs = new[] { new CollectingLoggerProvider(), new CollectingLoggerProvider() };
        await using var one = new ConfiguredServiceFactory(bouncer.Through(database), settings,
            services: s => s.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(logs[0]));
        await using var two = new ConfiguredServiceFactory(bouncer.Through(database), settings,
            services: s => s.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(logs[1]));

        // Both start (the first migrates and creates the root, through the pooler) and trust their caches: each listener
        // hears its heartbeats, which go out through the pooler.
        using var rootOnOne = await one.CreateRootClientAsync();
        using var rootOnTwo = await two.CreateRootClientAsync();
        await CachedCredentials.UntilTrustedAsync(one);
        await CachedCredentials.UntilTrustedAsync(two);

        // The pool goes through the pooler without prepared statements (whatever PgBouncer's version would allow: 1.24 keeps
        // them by default, 1.18 in CI does not); the listener and the session locks go straight to PostgreSQL.
        var pool = one.Services.GetRequiredService<Infrastructure.Persistence.DatabaseConnectionString>();
        Assert.True(pool.TransactionPooled);
        Assert.Equal((bouncer.Port, 0), (new NpgsqlConnectionStringBuilder(pool.Value).Port, new NpgsqlConnectionStringBuilder(pool.Value).MaxAutoPrepare));
        Assert.Equal(new NpgsqlConnectionStringBuilder(database).Port,
            new NpgsqlConnectionStringBuilder(one.Services.GetRequiredService<Infrastructure.Persistence.SessionConnectionString>().Value).Port);

        // The migrations' session lock went with its session: none is left on a server session PgBouncer keeps.
        Assert.Equal(0L, await ScalarAsync<long>(database, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"));

        // A key made and revoked on one instance is refused by the other on its very next request, every time.
        for (var round = 0; round < 6; round++)
        {
            var key = (await rootOnOne.PostJsonAsync("/v2/keys", new { displayName = $"revoked through the pooler {round}" }, HttpStatusCode.Created))["key"]!;
            var credentials = ServiceFixture.BasicHeader((string)key["id"]!, (string)key["secret"]!);
            Assert.Equal(HttpStatusCode.OK, await StatusAsync(two, credentials)); // now cached there
            await rootOnOne.DeleteJsonAsync($"/v2/keys/{key["id"]}");
            Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(two, credentials));
        }

        // A budget holds under creates racing on both instances (its locks are the transactions', which the pooler keeps).
        const int budget = 5;
        var child = await rootOnOne.ProvisionAsync(name: "Budgeted behind the pooler");
        await rootOnOne.PatchJsonAsync($"/v2/tenants/{child.Id}", new { maxApps = budget });
        using var childOnOne = one.ClientOf(child);
        using var childOnTwo = two.ClientOf(child);
        var statuses = await Task.WhenAll(Enumerable.Range(0, 30).Select(async i =>
        {
            using var response = await (i % 2 == 0 ? childOnOne : childOnTwo).PostAsync("/v2/apps", Http.Json(new { displayName = $"Racer {i}" }));
            return response.StatusCode;
        }));
        Assert.Equal(budget, statuses.Count(s => s == HttpStatusCode.Created));
        Assert.Equal(30 - budget, statuses.Count(s => s == HttpStatusCode.PaymentRequired));
        Assert.Equal(budget, (int)(await childOnTwo.GetJsonAsync("/v2/tenants/self"))["tenant"]!["appCount"]!);

        // A retry on the other instance replays the first answer.
        var idempotencyKey = Guid.NewGuid().ToString();
        var first = await SendKeyedAsync(rootOnOne, idempotencyKey);
        var retried = await SendKeyedAsync(rootOnTwo, idempotencyKey);
        Assert.Equal(HttpStatusCode.Created, first.Status);
        Assert.Equal(HttpStatusCode.Created, retried.Status);
        Assert.Equal(first.Body, retried.Body);

        // Nothing went wrong on the way: no prepared statement lost between server sessions, no deaf listener, no refusal.
        foreach (var log in logs)
        {
            Assert.DoesNotContain(log.Lines, l => l.StartsWith("Error", StringComparison.Ordinal) || l.StartsWith("Critical", StringComparison.Ordinal));
            Assert.DoesNotContain(log.Lines, l => l.Contains("not confirmed", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task BehindATransactionPooler_WithoutASessionString_TheListenerHearsNothing_AndSaysSo()
    {
        // What the session string is for, shown on the same PgBouncer: the LISTEN goes to a server session other clients
        // then use, and the heartbeats sent through the pooler never reach it. (Prepared statements off by hand: without
        // the session string the service cannot know it is behind a transaction pooler.)
        var database = await service.Postgres.CreateDatabaseAsync("transaction_deaf_" + Guid.NewGuid().ToString("N")[..8]);
        await using var bouncer = await PgBouncer.StartAsync(service.Postgres.ConnectionString, "transaction", ServerSessions);
        var logs = new CollectingLoggerProvider();
        await using var instance = new ConfiguredServiceFactory(
            new NpgsqlConnectionStringBuilder(bouncer.Through(database)) { MaxAutoPrepare = 0 }.ConnectionString, ServiceFixture.RootKeySettings(),
            services: s => s.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(logs));
        using var root = await instance.CreateRootClientAsync();

        var deadline = DateTime.UtcNow.AddSeconds(40);
        while (!logs.Lines.Any(Deaf) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        Assert.Contains(logs.Lines, Deaf);
        Assert.False(instance.Services.GetRequiredService<CachedCredentialStore>().IsListening);

        static bool Deaf(string line) =>
            line.StartsWith("Error", StringComparison.Ordinal) && line.Contains("has heard none of the", StringComparison.Ordinal)
                                                               && line.Contains("ConnectionStrings:ProvisioningSession", StringComparison.Ordinal);
    }

    private static async Task<HttpStatusCode> StatusAsync(ConfiguredServiceFactory instance, System.Net.Http.Headers.AuthenticationHeaderValue credentials)
    {
        using var client = instance.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v2/apps") { Headers = { Authorization = credentials } };
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    private static async Task<(HttpStatusCode Status, string Body)> SendKeyedAsync(HttpClient client, string idempotencyKey)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/apps")
        {
            Content = Http.Json(new { displayName = "Created once behind the pooler" }),
            Headers = { { "Idempotency-Key", idempotencyKey } },
        };
        using var response = await client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static async Task<T> ScalarAsync<T>(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
