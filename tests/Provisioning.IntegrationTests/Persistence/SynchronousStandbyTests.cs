using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Provisioning.Infrastructure.Persistence;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Persistence;

/// <summary>
/// With <c>synchronous_standby_names</c> set, a commit waits for a standby; when the service's command timeout cancels that
/// wait, PostgreSQL keeps the commit on the primary alone and says so only in a warning. The service answered it as made,
/// after the timeout, and logged nothing (a failover probe): a failover before the standby catches up loses a change no
/// one was told about. It is still answered as made (a 503 would have a create without a key made twice, and a new key's
/// secret lost), and now said at Error. On a server of the test's own: the setting reaches every database of a server.
/// </summary>
[Collection(ProcessTestCollection.Name)]
public sealed class SynchronousStandbyTests
{
    /// <summary>The tests' servers commit asynchronously, for speed: these sessions ask for PostgreSQL's default.</summary>
    private const string Synchronous = "Options=-c synchronous_commit=on";

    [Fact]
    public async Task AChangeWhoseWaitForAStandbyWasCancelled_IsAnsweredAsMade_AndSaidAtError()
    {
        await using var server = await PostgresServer.StartOwnAsync();
        var database = await server.CreateDatabaseAsync("standby_" + Guid.NewGuid().ToString("N")[..8]);
        var logs = new CollectingLoggerProvider();
        await using var instance = new ConfiguredServiceFactory(database + ";Command Timeout=5;" + Synchronous,
            ServiceFixture.RootKeySettings(rateLimited: false), services: s => s.AddSingleton<ILoggerProvider>(logs));
        using var root = await instance.CreateRootClientAsync();

        (HttpStatusCode Status, JsonNode? Body) keyed, unkeyed;
        await StandbyRequiredAsync(database, true);
        try
        {
            keyed = await CreateAsync(root, "Waited for a standby", "standby-key");
            unkeyed = await CreateAsync(root, "Waited for a standby, no key", null);
        }
        finally
        {
            await StandbyRequiredAsync(database, false);
        }

        Assert.Equal(HttpStatusCode.Created, keyed.Status);
        Assert.Equal(HttpStatusCode.Created, unkeyed.Status);
        Assert.Equal(2, logs.Lines.Count(l => l.StartsWith("Error", StringComparison.Ordinal)
                                              && l.Contains("wait for its synchronous standby was cancelled", StringComparison.Ordinal)));
        Assert.Equal(1, await Sql.CountAsync(database, "SELECT count(*) FROM apps WHERE display_name = 'Waited for a standby'"));
        Assert.Equal(1, await Sql.CountAsync(database, "SELECT count(*) FROM apps WHERE display_name = 'Waited for a standby, no key'"));

        // With the standby back (here: none required), nothing more is said; the keyed retry replays the answer.
        var retry = await CreateAsync(root, "Waited for a standby", "standby-key");
        Assert.Equal((HttpStatusCode.Created, (string?)keyed.Body!["app"]!["id"]), (retry.Status, (string?)retry.Body!["app"]!["id"]));
        Assert.Equal(2, logs.Lines.Count(l => l.Contains("synchronous standby", StringComparison.Ordinal)));
    }

    private static async Task<(HttpStatusCode Status, JsonNode? Body)> CreateAsync(HttpClient client, string name, string? key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/apps")
        {
            Content = new StringContent(System.Text.Json.JsonSerializer.Serialize(new { displayName = name }), Encoding.UTF8, "application/json"),
        };
        if (key is not null)
        {
            request.Headers.Add("Idempotency-Key", key);
        }

        using var response = await client.SendAsync(request);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync()));
    }

    /// <summary>
    /// Names a standby that never comes (or none), and waits until commits wait for it (or no longer do): the setting reaches
    /// the backends after the reload, and the commits' waits through the checkpointer, a moment later.
    /// </summary>
    private static async Task StandbyRequiredAsync(string database, bool required)
    {
        await using var connection = new NpgsqlConnection(database + ";Pooling=false;" + Synchronous);
        await connection.OpenAsync();
        var waited = false;
        connection.Notice += (_, e) => waited |= e.Notice.Routine == UnitOfWork.SynchronousStandbyWait;
        await using (var set = new NpgsqlCommand(
                         (required ? "ALTER SYSTEM SET synchronous_standby_names = 'no_standby_ever'" : "ALTER SYSTEM RESET synchronous_standby_names") +
                         "; SELECT pg_reload_conf()", connection))
        {
            await set.ExecuteNonQueryAsync();
        }

        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            waited = false;
            // A transaction that writes (a WAL record of its own): its commit waits for a synchronous standby when one is
            // required, until this command's timeout cancels the wait.
            await using (var commit = new NpgsqlCommand("BEGIN; SELECT pg_logical_emit_message(true, 'provisioning-test', ''); COMMIT", connection)
                         { CommandTimeout = 1 })
            {
                await commit.ExecuteNonQueryAsync();
            }

            if (waited == required)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"Commits did not {(required ? "start" : "stop")} waiting for a synchronous standby within 60 s");
            await Task.Delay(100);
        }
    }
}
