using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Hosting;

/// <summary>
/// A client that hangs up while its create is inside the transaction (a load generator stopping, a timeout on the caller's
/// side): nothing is half-written, and nothing is logged as a fault — there is nobody to answer and nothing went wrong
/// on the service's side. (EF Core logged the cancelled commit as "An error occurred using a transaction" at Error level,
/// one such line per full benchmark run.) And a commit that does fail is logged once: it was logged three times, by EF
/// Core, by the command pipeline and by the HTTP error handler.
/// </summary>
[Collection(ServiceTestCollection.Name)]
public sealed class ClientAbortTests(ServiceFixture service)
{
    /// <summary>An instance of its own on its own database, through a proxy (statements in plain text), with its own log.</summary>
    private async Task<(string Database, TcpProxy Proxy, ConfiguredServiceFactory Instance, CollectingLoggerProvider Logs)> StartBehindProxyAsync(string name)
    {
        var database = await service.Postgres.CreateMigratedDatabaseAsync(name + "_" + Guid.NewGuid().ToString("N")[..8]);
        var (proxy, viaProxy) = TcpProxy.InFrontOf(database);
        var logs = new CollectingLoggerProvider();
        var instance = new ConfiguredServiceFactory(
            viaProxy + ";Max Auto Prepare=0",
            ServiceFixture.RootKeySettings(rateLimited: false),
            services: s => s.AddSingleton<ILoggerProvider>(logs));
        return (database, proxy, instance, logs);
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    /// <param name="withKey">With an Idempotency-Key (the stored answer goes with the COMMIT too).</param>
    /// <param name="heldMs">
    /// How long the INSERTs are held after the hang-up: 300 ms is within Npgsql's cancellation timeout (2 s), so the
    /// connection survives; 2,500 ms is past it, so Npgsql gives up waiting for PostgreSQL to cancel and breaks the
    /// connection — a fault of the database's connection, caused by nothing but the client leaving.
    /// </param>
    [Theory]
    [InlineData(false, 300)]
    [InlineData(true, 300)]
    [InlineData(false, 2500)]
    public async Task AClientThatHangsUpMidCreate_LeavesNothingHalfWritten_AndNoErrorInTheLog(bool withKey, int heldMs)
    {
        var (database, proxy, instance, logs) = await StartBehindProxyAsync("abort");
        await using var _ = proxy;
        await using var __ = instance;
        using var client = await instance.CreateRootClientAsync();

        // The create's INSERTs are held on their way to PostgreSQL (its transaction open, its budget reserved) while the
        // client hangs up, then let through. Held briefly: Npgsql's cancellation finds nothing running, the INSERTs
        // succeed, and the request meets its cancelled token at the COMMIT (sent with the audit event and, keyed, the
        // stored answer; when it was EF's own commit, EF logged the cancellation at Error). Held past the cancellation
        // timeout: Npgsql stops waiting and breaks the connection, and the transaction dies with it. The test does not
        // tell the two paths apart from outside; it holds both to the same outcome: all of the create or none of it,
        // no Error in the log, and an instance that serves on.
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        proxy.OnNextSend(["INSERT INTO apps"], async () =>
        {
            reached.SetResult();
            await release.Task;
        });
        var before = logs.Lines.Count;
        using var hangUp = new CancellationTokenSource();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/apps")
        {
            Content = Json("""{"displayName":"Hung up"}"""),
        };
        if (withKey)
        {
            request.Headers.Add("Idempotency-Key", "hung-up");
        }

        var create = client.SendAsync(request, hangUp.Token);
        await reached.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await hangUp.CancelAsync();
        await Task.Delay(heldMs);
        release.SetResult();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => create);

        // The service finishes on its own: wait until no transaction of its is open on the database.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await Sql.CountAsync(database, "SELECT count(*)::int FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL") > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the abandoned request's transaction is still open after 30 s");
            await Task.Delay(50);
        }

        // Either the whole create or none of it: the app, its audit event and its count go together.
        var apps = await Sql.CountAsync(database, "SELECT count(*)::int FROM apps WHERE display_name = 'Hung up'");
        Assert.InRange(apps, 0, 1);
        Assert.Equal(apps, await Sql.CountAsync(database,
            "SELECT count(*)::int FROM audit_events e JOIN apps a ON a.id = e.resource_id WHERE e.type = 'app.created' AND a.display_name = 'Hung up'"));
        Assert.Equal(
            await Sql.CountAsync(database, "SELECT count(*)::int FROM apps"),
            await Sql.CountAsync(database, "SELECT coalesce(sum(apps), 0)::int FROM tenant_app_counts"));

        var logged = logs.Lines.Skip(before).ToList();
        Assert.DoesNotContain(logged, l => l.StartsWith("Error", StringComparison.Ordinal) || l.StartsWith("Critical", StringComparison.Ordinal));

        // And the instance serves on.
        using var next = await client.PostAsync("/v2/apps", Json("""{"displayName":"Next"}"""));
        Assert.Equal(HttpStatusCode.Created, next.StatusCode);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ACommitWhoseAnswerIsLost_WithTheDatabaseStillThere_IsAnsweredAsMade(bool withKey)
    {
        var (database, proxy, instance, logs) = await StartBehindProxyAsync("commit_lost_found");
        await using var _ = proxy;
        await using var __ = instance;
        using var client = await instance.CreateRootClientAsync();

        // PostgreSQL commits the create, the connection is cut before the service hears so, and the server is still there:
        // asked, it shows the change made (its audit event), so the answer is the create's, not a 503 that a retry
        // without an Idempotency-Key would turn into a second app (a consistency probe: 8 of 27 such 503s had committed).
        proxy.OnNextSend(["COMMIT\0"], () => Task.CompletedTask, cutBeforeAnswer: true, reopenAfterCut: true);
        var before = logs.Lines.Count;
        HttpRequestMessage Create()
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/v2/apps") { Content = Json("""{"displayName":"Committed, unheard, found"}""") };
            if (withKey)
            {
                request.Headers.Add("Idempotency-Key", "lost-at-commit");
            }

            return request;
        }

        string body;
        using (var request = Create())
        using (var made = await client.SendAsync(request))
        {
            Assert.Equal(HttpStatusCode.Created, made.StatusCode);
            body = await made.Content.ReadAsStringAsync();
            var id = (string)System.Text.Json.Nodes.JsonNode.Parse(body)!["app"]!["id"]!;
            Assert.Equal(1, await Sql.CountAsync(database, "SELECT count(*)::int FROM apps WHERE id = $1 AND display_name = 'Committed, unheard, found'", id));
        }

        if (withKey)
        {
            // The answer stored with the change is the one given: a retry replays it.
            using var request = Create();
            using var replay = await client.SendAsync(request);
            Assert.Equal("true", replay.Headers.GetValues("Idempotent-Replayed").Single());
            Assert.Equal(body, await replay.Content.ReadAsStringAsync());
        }

        var logged = logs.Lines.Skip(before).ToList();
        Assert.DoesNotContain(logged, l => l.StartsWith("Error", StringComparison.Ordinal));
        Assert.Single(logged, l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains("the database shows that it committed", StringComparison.Ordinal));
        Assert.Equal(
            await Sql.CountAsync(database, "SELECT count(*)::int FROM apps"),
            await Sql.CountAsync(database, "SELECT coalesce(sum(apps), 0)::int FROM tenant_app_counts"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AKeyedChangeThatChangesNothing_ItsCommitLost_IsAnsweredAsTheDatabaseShows(bool committed)
    {
        var (database, proxy, instance, logs) = await StartBehindProxyAsync("no_op_commit_lost");
        await using var _ = proxy;
        await using var __ = instance;
        using var client = await instance.CreateRootClientAsync();
        var app = (string)(await client.PostJsonAsync("/v2/apps", new { displayName = "Unchanged" }, HttpStatusCode.Created))["app"]!["id"]!;

        // A change to what it already is writes no audit event, which was the only row that proved a commit: with its
        // answer stored and committed, it was answered 503, and its retry replayed a 200 never given (a probe, 153 of 157
        // such 503s). Its stored answer proves it now; and when the COMMIT never reached PostgreSQL, the 503 stands, no
        // answer is stored, and the retry runs.
        if (committed)
        {
            proxy.OnNextSend(["COMMIT\0"], () => Task.CompletedTask, cutBeforeAnswer: true, reopenAfterCut: true);
        }
        else
        {
            proxy.OnNextSend(["COMMIT\0"], () =>
            {
                proxy.Cut();
                proxy.Restore();
                return Task.CompletedTask;
            });
        }

        HttpRequestMessage Patch() => new(HttpMethod.Patch, $"/v2/apps/{app}")
        {
            Content = Json("""{"displayName":"Unchanged"}"""),
            Headers = { { "Idempotency-Key", "no-op-at-commit" } },
        };
        string body;
        using (var request = Patch())
        using (var first = await client.SendAsync(request))
        {
            Assert.Equal(committed ? HttpStatusCode.OK : HttpStatusCode.ServiceUnavailable, first.StatusCode);
            body = await first.Content.ReadAsStringAsync();
        }

        Assert.Equal(committed ? 1 : 0, await Sql.CountAsync(database, "SELECT count(*)::int FROM idempotency_records WHERE key = 'no-op-at-commit'"));
        Assert.Equal(0, await Sql.CountAsync(database, "SELECT count(*)::int FROM audit_events WHERE type = 'app.updated'"));
        Assert.Equal(committed, logs.Lines.Any(l => l.Contains("the database shows that it committed", StringComparison.Ordinal)));

        using (var request = Patch())
        using (var retry = await client.SendAsync(request))
        {
            Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
            Assert.Equal(committed, retry.Headers.Contains("Idempotent-Replayed"));
            if (committed)
            {
                Assert.Equal(body, await retry.Content.ReadAsStringAsync());
            }
        }
    }

    [Theory]
    [InlineData("INSERT INTO apps", false)]
    [InlineData("COMMIT\0", true)]
    public async Task NpgsqlLosingTheProtocolsSync_Is503_OrAtTheCommit_AnsweredAsTheDatabaseShows(string at, bool committed)
    {
        var (database, proxy, instance, logs) = await StartBehindProxyAsync("lost_sync");
        await using var _ = proxy;
        await using var __ = instance;
        using var client = await instance.CreateRootClientAsync();

        // A row nobody asked for in PostgreSQL's answer, after a statement's BindComplete: Npgsql loses the protocol's sync
        // ("Received unexpected backend message DataRow. Please file a bug.", a plain Exception) and breaks the connection,
        // as it did under cancelled statements (a probe: answered 500 as a defect). Before the COMMIT the transaction is
        // gone with the connection: 503, nothing made; at it, PostgreSQL has committed: asked, the database shows it, and
        // the answer is the create's.
        proxy.OnNextSendPutBeforeTheAnswer([at], [(byte)'D', 0, 0, 0, 6, 0, 0], after: (byte)'2');
        using var create = await client.PostAsync("/v2/apps", Json("""{"displayName":"Out of sync"}"""));

        Assert.Equal(committed ? HttpStatusCode.Created : HttpStatusCode.ServiceUnavailable, create.StatusCode);
        if (!committed)
        {
            Assert.Equal("1", create.Headers.RetryAfter?.ToString());
        }

        Assert.Equal(committed ? 1 : 0, await Sql.CountAsync(database, "SELECT count(*)::int FROM apps WHERE display_name = 'Out of sync'"));
        Assert.Equal(committed, logs.Lines.Any(l => l.Contains("the database shows that it committed", StringComparison.Ordinal)));
        Assert.DoesNotContain(logs.Lines, l => l.Contains("Unhandled Exception while handling", StringComparison.Ordinal));
        using var next = await client.PostAsync("/v2/apps", Json("""{"displayName":"After the loss"}"""));
        Assert.Equal(HttpStatusCode.Created, next.StatusCode);
    }

    [Fact]
    public async Task ARevocationWhoseCommitAnswerIsLost_WithTheDatabaseStillThere_IsAnsweredAsMade_AndTheKeyIsRefused()
    {
        var (_, proxy, instance, logs) = await StartBehindProxyAsync("revocation_lost_found");
        await using var __ = proxy;
        await using var ___ = instance;
        using var client = await instance.CreateRootClientAsync();
        var key = (await client.PostJsonAsync("/v2/keys", new { displayName = "revoked as the connection goes" }, HttpStatusCode.Created))["key"]!;
        var credentials = ServiceFixture.BasicHeader((string)key["id"]!, (string)key["secret"]!);
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(credentials)); // cached on this instance

        // The deletion commits and its answer is lost; found committed, what follows a commit runs: the key leaves this
        // instance's cache (and every other's, the barrier) before the answer.
        proxy.OnNextSend(["COMMIT\0"], () => Task.CompletedTask, cutBeforeAnswer: true, reopenAfterCut: true);
        await client.DeleteJsonAsync($"/v2/keys/{key["id"]}");
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(credentials));
        Assert.Contains(logs.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains("the database shows that it committed", StringComparison.Ordinal));

        async Task<HttpStatusCode> StatusAsync(System.Net.Http.Headers.AuthenticationHeaderValue authorization)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/v2/apps") { Headers = { Authorization = authorization } };
            using var response = await client.SendAsync(request);
            return response.StatusCode;
        }
    }

    [Fact]
    public async Task AConnectionLostBeforeTheCommitArrived_WithTheDatabaseStillThere_Is503_AndNothingWasMade()
    {
        var (database, proxy, instance, logs) = await StartBehindProxyAsync("commit_never_sent");
        await using var _ = proxy;
        await using var __ = instance;
        using var client = await instance.CreateRootClientAsync();

        // The connection is cut as the COMMIT leaves, before PostgreSQL has it; new connections go through: asked, the
        // database shows nothing made (the session rolled back as it ended), and the 503 stands.
        proxy.OnNextSend(["COMMIT\0"], () =>
        {
            proxy.Cut();
            proxy.Restore();
            return Task.CompletedTask;
        });
        using (var lost = await client.PostAsync("/v2/apps", Json("""{"displayName":"Never committed"}""")))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, lost.StatusCode);
        }

        Assert.Equal(0, await Sql.CountAsync(database, "SELECT count(*)::int FROM apps WHERE display_name = 'Never committed'"));
        Assert.DoesNotContain(logs.Lines, l => l.Contains("the database shows that it committed", StringComparison.Ordinal)
                                               || l.Contains("may have been made", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ACommitWhoseAnswerIsLost_WithTheDatabaseGoneToo_Is503_AndIsLoggedOnce()
    {
        var (database, proxy, instance, logs) = await StartBehindProxyAsync("commit_lost");
        await using var _ = proxy;
        await using var __ = instance;
        using var client = await instance.CreateRootClientAsync();

        // PostgreSQL commits the create, and the connection is cut before the service hears so; the database cannot be
        // asked afterwards (the proxy refuses new connections): what happened cannot be known, and the answer is a 503.
        // (The statement's end, "COMMIT\0": the BEGIN's "READ COMMITTED" has the word too.)
        proxy.OnNextSend(["COMMIT\0"], () => Task.CompletedTask, cutBeforeAnswer: true);
        var before = logs.Lines.Count;
        using (var lost = await client.PostAsync("/v2/apps", Json("""{"displayName":"Committed, unheard"}""")))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, lost.StatusCode);
        }

        // The service reports the fault once (by the command's pipeline, with the command's name and the request's id);
        // neither EF Core nor the HTTP error handler repeats it.
        var errors = logs.Lines.Skip(before).Where(l => l.StartsWith("Error", StringComparison.Ordinal)).ToList();
        var error = Assert.Single(errors);
        Assert.StartsWith("Error Provisioning.Application.Common.Behaviors.UnhandledExceptionBehavior", error, StringComparison.Ordinal);
        Assert.Contains("while handling CreateAppCommand", error, StringComparison.Ordinal);
        Assert.Contains("Database fault (", error, StringComparison.Ordinal); // a cut connection is the database's, not "Unhandled"
        Assert.Contains("RequestId:", error, StringComparison.Ordinal);
        // Said apart from a rolled-back 503: this one may have been made.
        Assert.Single(logs.Lines.Skip(before), l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains("may have been made", StringComparison.Ordinal));
        proxy.Restore();

        // The effect is there whole (the client could not know: a retry with Idempotency-Key would have replayed it).
        Assert.Equal(1, await Sql.CountAsync(database, "SELECT count(*)::int FROM apps WHERE display_name = 'Committed, unheard'"));
        Assert.Equal(
            await Sql.CountAsync(database, "SELECT count(*)::int FROM apps"),
            await Sql.CountAsync(database, "SELECT coalesce(sum(apps), 0)::int FROM tenant_app_counts"));
    }
}
