using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Persistence;

/// <summary>
/// With <c>synchronous_standby_names</c> set, a commit waits for a standby; when the service's command timeout cancels that
/// wait, PostgreSQL keeps the commit on the primary alone and says so in a warning. That was answered as made (201, after
/// the timeout, nothing logged: a failover probe), though a failover then loses it. Now: 503, an Error line, and a keyed
/// retry gets the stored answer, which committed with the change. (The server's setting is changed for the test's length:
/// tests in this collection run one at a time.)
/// </summary>
[Collection(ServiceTestCollection.Name)]
public sealed class SynchronousStandbyTests(ServiceFixture service)
{
    [Fact]
    public async Task AChangeWhoseWaitForAStandbyTheTimeoutCancelled_Is503_LoggedAtError_AndAKeyedRetryGetsItsAnswer()
    {
        var logs = new CollectingLoggerProvider();
        // (The tests' server commits asynchronously, for speed: this instance's sessions as PostgreSQL's default does.)
        await using var impatient = new ConfiguredServiceFactory(service.ConnectionString + ";Command Timeout=2;" + Synchronous,
            ServiceFixture.RootKeySettings(rateLimited: false), services: s => s.AddSingleton<ILoggerProvider>(logs));
        using var root = await impatient.CreateRootClientAsync();

        (HttpStatusCode Status, JsonNode? Body, HttpResponseMessage Response) first, unkeyed;
        try
        {
            await StandbyRequiredAsync(true);
            first = await CreateAsync(root, "Waited for a standby", "standby-key");
            unkeyed = await CreateAsync(root, "Waited for a standby, no key", null);
        }
        finally
        {
            await StandbyRequiredAsync(false);
        }

        foreach (var (status, body, response) in new[] { first, unkeyed })
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            Http.AssertV2Error(body!, "service_unavailable");
            Assert.Equal("1", response.Headers.RetryAfter?.ToString());
        }

        Assert.Equal(2, logs.Lines.Count(l => l.StartsWith("Error", StringComparison.Ordinal) && l.Contains("synchronous standby", StringComparison.Ordinal)));
        // Made on the primary, as PostgreSQL kept it.
        Assert.Equal(1, await service.QueryDbAsync(db => db.Apps.CountAsync(a => a.DisplayName == "Waited for a standby")));
        Assert.Equal(1, await service.QueryDbAsync(db => db.Apps.CountAsync(a => a.DisplayName == "Waited for a standby, no key")));

        var retry = await CreateAsync(root, "Waited for a standby", "standby-key");
        Assert.Equal(HttpStatusCode.Created, retry.Status);
        Assert.Equal("true", retry.Response.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(1, await service.QueryDbAsync(db => db.Apps.CountAsync(a => a.DisplayName == "Waited for a standby")));
    }

    private const string Synchronous = "Options=-c synchronous_commit=on";

    private static async Task<(HttpStatusCode Status, JsonNode? Body, HttpResponseMessage Response)> CreateAsync(HttpClient client, string name, string? key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/apps")
        {
            Content = new StringContent(System.Text.Json.JsonSerializer.Serialize(new { displayName = name }), Encoding.UTF8, "application/json"),
        };
        if (key is not null)
        {
            request.Headers.Add("Idempotency-Key", key);
        }

        var response = await client.SendAsync(request);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync()), response);
    }

    /// <summary>
    /// Names a standby that never comes (or none), and waits until commits wait for it (or no longer do): the setting reaches
    /// the backends after the reload, and the commits' waits through the checkpointer, a moment later.
    /// </summary>
    private async Task StandbyRequiredAsync(bool required)
    {
        await using var connection = new NpgsqlConnection(service.ConnectionString + ";Command Timeout=1;Pooling=false;" + Synchronous);
        await connection.OpenAsync();
        var waited = false;
        connection.Notice += (_, e) => waited |= e.Notice.Routine == "SyncRepWaitForLSN";
        await using (var set = new NpgsqlCommand(
                         (required ? "ALTER SYSTEM SET synchronous_standby_names = 'no_standby_ever'" : "ALTER SYSTEM RESET synchronous_standby_names"), connection))
        {
            await set.ExecuteNonQueryAsync();
        }

        await using (var reload = new NpgsqlCommand("SELECT pg_reload_conf()", connection))
        {
            await reload.ExecuteNonQueryAsync();
        }

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            waited = false;
            // A transaction that writes (a WAL record of its own): its commit waits for a synchronous standby when one is
            // required (cancelled after 1 s).
            await using (var commit = new NpgsqlCommand("BEGIN; SELECT pg_logical_emit_message(true, 'provisioning-test', ''); COMMIT", connection))
            {
                await commit.ExecuteNonQueryAsync();
            }

            if (waited == required)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"Commits did not {(required ? "start" : "stop")} waiting for a synchronous standby within 30 s");
            await Task.Delay(100);
        }
    }
}
