using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Infrastructure;
using Provisioning.Infrastructure.Security;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Lifecycle;

/// <summary>Master-key rotation (API.md §12): previous keys decrypt, rotate-secrets re-encrypts under load, then the new key alone suffices.</summary>
[Collection(ProcessTestCollection.Name)]
public sealed class MasterKeyRotationTests(ServiceFixture service)
{
    private static ConfiguredServiceFactory Start(string database, string masterKey, params string[] previous) =>
        Start(database, logs: null, masterKey, previous);

    private static ConfiguredServiceFactory Start(string database, CollectingLoggerProvider? logs, string masterKey, params string[] previous)
    {
        var settings = ServiceFixture.RootKeySettings(rateLimited: false);
        settings["Provisioning:Secrets:MasterKey"] = masterKey;
        for (var i = 0; i < previous.Length; i++)
        {
            settings[$"Provisioning:Secrets:PreviousMasterKeys:{i}"] = previous[i];
        }

        return new ConfiguredServiceFactory(
            database, settings, services: logs is null ? null : s => s.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(logs));
    }

    /// <summary>A whole <c>rotate-secrets</c> run by <paramref name="instance"/>'s services (its master key the target); how many secrets moved.</summary>
    private static async Task<int> RotateAsync(ConfiguredServiceFactory instance, int batchSize = 10)
    {
        await using var scope = instance.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<SecretRotation>().RotateAsync(batchSize, progress: null, CancellationToken.None);
    }

    private static string NewMasterKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    private Task<string> NewDatabaseAsync() => service.Postgres.CreateMigratedDatabaseAsync("rotation_" + Guid.NewGuid().ToString("N")[..8]);

    /// <summary>A new database whose secrets (the root's key, a service account's) are under a master key a rotation moves away from.</summary>
    private async Task<(string Database, string OldKey, string NewKey)> SecretsUnderAnOldKeyAsync(string serviceAccount)
    {
        var database = await NewDatabaseAsync();
        var oldKey = NewMasterKey();
        await using (var before = Start(database, oldKey))
        {
            using var root = As(before, ServiceFixture.RootKeyId, ServiceFixture.RootSecret);
            await root.CreateServiceAccountAsync(serviceAccount);
        }

        return (database, oldKey, NewMasterKey());
    }

    private static HttpClient As(ConfiguredServiceFactory factory, string keyId, string secret)
    {
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = ServiceFixture.BasicHeader(keyId, secret);
        return client;
    }

    [Fact]
    public async Task RotatingUnderLoad_ThenStartingWithOnlyTheNewKey_KeepsEveryKeyWorking()
    {
        var database = await NewDatabaseAsync();
        var oldKey = NewMasterKey();
        var newKey = NewMasterKey();

        // Keys of every kind under the old master key.
        var issued = new List<(string Id, string Secret)> { (ServiceFixture.RootKeyId, ServiceFixture.RootSecret) };
        await using (var before = Start(database, oldKey))
        {
            using var root = As(before, ServiceFixture.RootKeyId, ServiceFixture.RootSecret);
            for (var i = 0; i < 12; i++)
            {
                var sa = await root.CreateServiceAccountAsync($"sa {i}");
                issued.Add((sa.Key.Id, sa.Key.Secret));
            }

            var app = await root.CreateAppAsync("rotated app");
            var appKey = await root.CreateAppKeyAsync(app);
            issued.Add((appKey.Id, appKey.Secret));
        }

        // The new key encrypts, the old one still decrypts; rotate in small batches while requests keep coming.
        await using (var during = Start(database, newKey, oldKey))
        {
            using var stop = new CancellationTokenSource();
            var load = Task.Run(async () =>
            {
                var statuses = new List<HttpStatusCode>();
                while (!stop.IsCancellationRequested)
                {
                    foreach (var (id, secret) in issued)
                    {
                        using var client = As(during, id, secret);
                        statuses.Add((await client.GetAsync(id.StartsWith("app_", StringComparison.Ordinal) ? "/v2/tenants/self" : "/v2/apps")).StatusCode);
                    }
                }

                return statuses;
            });

            await using (var scope = during.Services.CreateAsyncScope())
            {
                var rotation = scope.ServiceProvider.GetRequiredService<SecretRotation>();
                Assert.Equal(issued.Count, await rotation.PendingAsync(CancellationToken.None));
                Assert.Equal(issued.Count, await rotation.RotateAsync(batchSize: 3, progress: null, CancellationToken.None));
                Assert.Equal(0, await rotation.PendingAsync(CancellationToken.None));
                Assert.Equal(0, await rotation.RotateAsync(batchSize: 3, progress: null, CancellationToken.None)); // idempotent
            }

            await stop.CancelAsync();
            var statuses = await load;
            Assert.NotEmpty(statuses);
            Assert.All(statuses, s => Assert.True(s is HttpStatusCode.OK or HttpStatusCode.Forbidden, $"{s} during the rotation"));
        }

        // The old key can go: a service with only the new one starts, and every key works.
        await using var after = Start(database, newKey);
        foreach (var (id, secret) in issued)
        {
            using var client = As(after, id, secret);
            var status = (await client.GetAsync(id.StartsWith("app_", StringComparison.Ordinal) ? "/v2/tenants/self" : "/v2/apps")).StatusCode;
            Assert.True(status is HttpStatusCode.OK or HttpStatusCode.Forbidden, $"{id}: {status}");
            Assert.NotEqual(HttpStatusCode.Unauthorized, status);
        }

        using var ready = after.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await ready.GetAsync("/readyz")).StatusCode);
    }

    [Fact]
    public async Task APreviousKeySetWithoutAnIndex_IsAPreviousKey()
    {
        // Provisioning__Secrets__PreviousMasterKeys=<key> (no __0) was read as no previous key at all, without a word: the
        // start then refused the new key "nor is any of PreviousMasterKeys" though one was set (a probe).
        var database = await NewDatabaseAsync();
        var oldKey = NewMasterKey();
        var newKey = NewMasterKey();
        await using (var before = Start(database, oldKey))
        {
            using var root = As(before, ServiceFixture.RootKeyId, ServiceFixture.RootSecret);
            Assert.Equal(HttpStatusCode.OK, (await root.GetAsync("/v2/apps")).StatusCode);
        }

        var settings = ServiceFixture.RootKeySettings(rateLimited: false);
        settings["Provisioning:Secrets:MasterKey"] = newKey;
        settings["Provisioning:Secrets:PreviousMasterKeys"] = oldKey;
        await using var after = new ConfiguredServiceFactory(database, settings);
        using var client = As(after, ServiceFixture.RootKeyId, ServiceFixture.RootSecret);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v2/apps")).StatusCode);
    }

    [Fact]
    public async Task ARotationStoppedHalfWay_ThenOneBackToTheOldKey_StillNeedsBothKeys_UntilOneFinishes()
    {
        // A probe: secrets under B; a rotation to C stopped half-way; the operator went back, a rotation to B stopped
        // half-way too. Its mark of the target replaced the first's (C), so B alone passed the start's check, the
        // service said ready, and every secret still under C answered 500.
        var database = await NewDatabaseAsync();
        var b = NewMasterKey();
        var c = NewMasterKey();
        string stranded;
        await using (var before = Start(database, b))
        {
            using var root = As(before, ServiceFixture.RootKeyId, ServiceFixture.RootSecret);
            stranded = (string)(await root.PostJsonAsync("/v2/keys", new { displayName = "left under C" }, HttpStatusCode.Created))["key"]!["id"]!;
            await root.PostJsonAsync("/v2/keys", new { displayName = "moved to C and back" }, HttpStatusCode.Created);
        }

        // Each rotation stops half-way: a row it must move is held past its wait (as a kill would leave it).
        async Task RotateHalfWayAsync(string key, string previous, string heldKeyId)
        {
            await using var factory = Start(database, key, previous);
            await using var scope = factory.Services.CreateAsyncScope();
            await using var held = await HeldRow.LockAsync(database, "api_keys", heldKeyId);
            await Assert.ThrowsAsync<SecretRotationIncompleteException>(() => scope.ServiceProvider.GetRequiredService<SecretRotation>()
                .RotateAsync(batchSize: 1, progress: null, CancellationToken.None, lockWait: TimeSpan.FromSeconds(1)));
        }

        await RotateHalfWayAsync(c, b, ServiceFixture.RootKeyId); // the root's key stays under B, the others go to C
        await RotateHalfWayAsync(b, c, stranded);                 // back to B: all but the stranded key

        // (The start's check, as a verb runs it: without an instance's listener.)
        var alone = await RunVerbAsync(database, b);
        Assert.Equal(1, alone.Exit);
        Assert.Contains("do not include every key this database's secrets are encrypted with", alone.Error);

        // With both, the service serves the stranded key, and a rotation that finishes makes B alone enough again.
        await using (var both = Start(database, b, c))
        {
            using var ready = both.CreateClient();
            Assert.Equal(HttpStatusCode.OK, (await ready.GetAsync("/readyz")).StatusCode);
            Assert.Equal(1, await RotateAsync(both, batchSize: 1));
        }

        Assert.Equal(0, (await RunVerbAsync(database, b)).Exit);
    }

    [Fact]
    public async Task AnInstanceLeftOnTheOldConfiguration_IsNotReadyOnceARotationFinishes_AndCannotStart()
    {
        // After the runbook's first round an instance has the old key as MasterKey and the new one among its previous keys:
        // it decrypts everything, so it stayed ready after rotate-secrets had finished, and went on writing new secrets under
        // the old key, which a start with the new key alone then could not read (500).
        var database = await NewDatabaseAsync();
        var oldKey = NewMasterKey();
        var newKey = NewMasterKey();
        var logs = new CollectingLoggerProvider();
        await using var straggler = Start(database, logs, oldKey, newKey);
        using var probe = straggler.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await probe.GetAsync("/readyz")).StatusCode);
        using var measured = new ServiceMeasurements(straggler);
        Assert.Equal(0, measured.Gauge(Retired));

        await using (var rotated = Start(database, newKey, oldKey))
        {
            await RotateAsync(rotated);
            using var ready = rotated.CreateClient();
            Assert.Equal(HttpStatusCode.OK, (await ready.GetAsync("/readyz")).StatusCode); // the second round's configuration
        }

        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await probe.GetAsync("/readyz")).StatusCode);
        Assert.Contains(logs.Lines, line => line.StartsWith("Error ", StringComparison.Ordinal) && line.Contains(MasterKeyCheck.RetiredKeySentence));
        Assert.Equal(1, measured.Gauge(Retired)); // the metric an operator alerts on (docs/operations.md "Observability")

        var refused = await RunVerbAsync(database, oldKey, newKey);
        Assert.Equal(1, refused.Exit);
        Assert.Contains("a key a finished rotate-secrets moved this database's secrets away from", refused.Error);

        // The next rotation's first round (the current key as MasterKey, the next one as previous) is no straggler.
        Assert.Equal(0, (await RunVerbAsync(database, newKey, NewMasterKey())).Exit);
        Assert.Equal(1L, await ScalarAsync(database, "SELECT count(*) FROM retired_master_keys"));
    }

    private const string SecretsUnderRetiredKeysTrigger = "api_keys_secret_under_a_usable_master_key";

    /// <summary>The gauge of a straggler's master key (docs/operations.md "Observability").</summary>
    private const string Retired = "provisioning.master_key.retired";

    [Fact]
    public async Task AStragglersKeysAndStoredAnswers_AreRefusedByTheDatabase_503_NothingWritten_AndFromTheFirst_ByTheInstance()
    {
        // An instance left on the old key after a rotation finished is not ready, but a load balancer may still send it
        // requests: a key it created would be written under the retired key and stop working once the old key leaves the
        // configuration. The database refuses it, whichever build writes it (here the rotation is finished as a build that
        // sends no notice would, or as one whose listener was away would miss it); the client's retry reaches an instance
        // that can. The refusal also makes the instance check its key: from the next request on it refuses such requests
        // itself (they went to the database one by one, each an error in PostgreSQL's log, until its next /readyz).
        var database = await NewDatabaseAsync();
        var oldKey = NewMasterKey();
        var newKey = NewMasterKey();
        var logs = new CollectingLoggerProvider[] { new(), new(), new() };
        await using var keys = Start(database, logs[0], oldKey, newKey);
        await using var answers = Start(database, logs[1], oldKey, newKey);
        await using var errors = Start(database, logs[2], oldKey, newKey);
        foreach (var straggler in new[] { keys, answers, errors })
        {
            using var warm = As(straggler, ServiceFixture.RootKeyId, ServiceFixture.RootSecret);
            Assert.Equal(HttpStatusCode.OK, (await warm.GetAsync("/v2/apps")).StatusCode);
            await UntilKeyCheckedAsync(straggler); // (on its listener's connect: nothing tells it again)
        }

        await RetireWithoutANoticeAsync(database, oldKey, newKey);
        var written = await ScalarAsync(database, WrittenSql);

        // Three writes of a secret, each the first of its instance: a key, a stored answer with its app (in the change's
        // transaction), and an error answer (a keyed deletion of an app that is not there: 404, stored after its rollback).
        using var viaKeys = As(keys, ServiceFixture.RootKeyId, ServiceFixture.RootSecret);
        var refused = await viaKeys.PostAsync("/v2/keys", JsonContent.Create(new { displayName = "late" }));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        var body = await refused.Content.ReadAsStringAsync();
        Assert.Contains("\"code\":\"service_unavailable\"", body);
        Assert.DoesNotContain("\"secret\"", body);
        using var viaAnswers = As(answers, ServiceFixture.RootKeyId, ServiceFixture.RootSecret);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await viaAnswers.SendAsync(Keyed("/v2/apps", "late"))).StatusCode);
        using var viaErrors = As(errors, ServiceFixture.RootKeyId, ServiceFixture.RootSecret);
        var missing = await viaErrors.SendAsync(new HttpRequestMessage(HttpMethod.Delete, "/v2/apps/5f0000000000000000000000") { Headers = { { "Idempotency-Key", "gone" } } });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, missing.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), missing.Headers.RetryAfter?.Delta);
        Assert.Equal(written, await ScalarAsync(database, WrittenSql));
        Assert.Contains(logs[0].Lines, line => line.StartsWith("Error ", StringComparison.Ordinal) &&
            line.Contains("the instance writing it has a Provisioning:Secrets:MasterKey a finished rotate-secrets retired"));
        foreach (var log in logs[1..])
        {
            Assert.Contains(log.Lines, line => line.StartsWith("Error ", StringComparison.Ordinal) &&
                line.Contains("A stored answer was not written: the instance writing it has a Provisioning:Secrets:MasterKey a finished rotate-secrets retired"));
        }

        // Each refusal made its instance check its key, without /readyz: found retired, said once, and refused by the
        // instance itself from then on, before the work; reads still served.
        foreach (var (straggler, log) in new[] { (keys, logs[0]), (answers, logs[1]), (errors, logs[2]) })
        {
            await UntilRetiredAsync(straggler);
            await UntilLoggedAsync(log, TurnedRetired); // (said just after the flag is set)
            Assert.Single(log.Lines, line => line.StartsWith("Error ", StringComparison.Ordinal) && line.Contains(TurnedRetired));
        }

        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await viaKeys.SendAsync(Keyed("/v2/apps", "later"))).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await viaAnswers.PostAsync("/v2/keys", JsonContent.Create(new { displayName = "later" }))).StatusCode);
        Assert.Equal(written, await ScalarAsync(database, WrittenSql));
        Assert.Equal(HttpStatusCode.OK, (await viaErrors.GetAsync("/v2/apps")).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await viaErrors.GetAsync("/readyz")).StatusCode);

        // An instance on the new key creates keys as before, and runs the refused requests (nothing of them was kept).
        await using var rotated = Start(database, newKey, oldKey);
        using var rotatedRoot = As(rotated, ServiceFixture.RootKeyId, ServiceFixture.RootSecret);
        await rotatedRoot.PostJsonAsync("/v2/keys", new { displayName = "late" }, HttpStatusCode.Created);
        Assert.Equal(HttpStatusCode.Created, (await rotatedRoot.SendAsync(Keyed("/v2/apps", "late"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await rotatedRoot.SendAsync(
            new HttpRequestMessage(HttpMethod.Delete, "/v2/apps/5f0000000000000000000000") { Headers = { { "Idempotency-Key", "gone" } } })).StatusCode);
    }

    [Fact]
    public async Task AStraggler_HearsTheRotationFinish_AndRefusesEveryRequestThatWouldStoreASecret_503_NothingWritten()
    {
        // The database refuses a straggler's secrets (AStragglersKeysAndStoredAnswers_…), after the instance has done the
        // request's work, with an error in PostgreSQL's log each time. The run's last step tells every instance at its
        // commit, and a straggler refuses such requests itself from then on.
        var database = await NewDatabaseAsync();
        var oldKey = NewMasterKey();
        var newKey = NewMasterKey();
        var logs = new CollectingLoggerProvider();
        await using var straggler = Start(database, logs, oldKey, newKey);
        using var stragglerRoot = As(straggler, ServiceFixture.RootKeyId, ServiceFixture.RootSecret);
        await UntilKeyCheckedAsync(straggler); // (on its listener's connect: only the notice tells it now)
        await using var rotated = Start(database, newKey, oldKey);
        await RotateAsync(rotated);
        await UntilRetiredAsync(straggler);
        await UntilLoggedAsync(logs, TurnedRetired); // (said once the database confirms the notice)

        var written = await ScalarAsync(database, WrittenSql);
        var refused = await stragglerRoot.SendAsync(Keyed("/v2/apps", "late"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), refused.Headers.RetryAfter?.Delta);
        Assert.Contains("\"code\":\"service_unavailable\"", await refused.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await stragglerRoot.PostAsync("/v2/keys", JsonContent.Create(new { displayName = "late" }))).StatusCode);
        Assert.Equal(written, await ScalarAsync(database, WrittenSql));
        Assert.Single(logs.Lines, line => line.StartsWith("Error ", StringComparison.Ordinal) &&
            line.Contains(TurnedRetired) && line.Contains(MasterKeyCheck.RetiredKeySentence));

        // What stores no secret it still serves; the refused request's retry, on an instance on the new key, runs.
        await stragglerRoot.PostJsonAsync("/v2/apps", new { displayName = "plain" }, HttpStatusCode.Created);
        Assert.Equal(HttpStatusCode.OK, (await stragglerRoot.GetAsync("/v2/apps")).StatusCode);
        using var rotatedRoot = As(rotated, ServiceFixture.RootKeyId, ServiceFixture.RootSecret);
        Assert.Equal(HttpStatusCode.Created, (await rotatedRoot.SendAsync(Keyed("/v2/apps", "late"))).StatusCode);
        Assert.False(ProtectorOf(rotated).Retirement.IsRetired);
    }

    [Fact]
    public async Task AStragglerWhoseListenerWasAwayWhenTheRotationFinished_FindsItsKeyRetiredOnReconnecting()
    {
        // A notice sent while the listener is disconnected is lost: it checks the key whenever it connects.
        var database = await NewDatabaseAsync();
        var oldKey = NewMasterKey();
        var newKey = NewMasterKey();
        await using var straggler = Start(database, oldKey, newKey);
        using var stragglerRoot = As(straggler, ServiceFixture.RootKeyId, ServiceFixture.RootSecret);
        await UntilKeyCheckedAsync(straggler);
        await RetireWithoutANoticeAsync(database, oldKey, newKey);
        Assert.False(ProtectorOf(straggler).Retirement.IsRetired);

        var listener = straggler.Services.GetRequiredService<ServiceInstance>().ListenerApplicationName;
        Assert.Equal(1, await Sql.CountAsync(database, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1", listener));
        await UntilRetiredAsync(straggler);
        var written = await ScalarAsync(database, WrittenSql);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await stragglerRoot.SendAsync(Keyed("/v2/apps", "late"))).StatusCode);
        Assert.Equal(written, await ScalarAsync(database, WrittenSql));
    }

    [Fact]
    public async Task ANoticeNoRotationSent_IsUndoneByTheDatabasesAnswer_AMomentLater()
    {
        // Any session of the database can send the rotation's notice naming an instance's key: the instance refuses to store
        // secrets at once (it must not wait for a read), and asks the database, which says the key is not retired. It stood
        // until the next /readyz.
        var database = await NewDatabaseAsync();
        var key = NewMasterKey();
        var logs = new CollectingLoggerProvider();
        await using var instance = Start(database, logs, key);
        using var root = As(instance, ServiceFixture.RootKeyId, ServiceFixture.RootSecret);
        await UntilKeyCheckedAsync(instance);

        var fingerprint = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Convert.FromBase64String(key))[..4]);
        var sender = await ScalarAsync(database, $"SELECT pg_backend_pid() FROM (SELECT pg_notify('{RetiredMasterKeyWatch.NoticeChannel}', '{fingerprint}')) AS sent");
        await UntilLoggedAsync(logs, "This instance's master key is not retired, the database says: it stores secrets again");
        Assert.Contains(logs.Lines, line => line.StartsWith("Warning ", StringComparison.Ordinal) &&
            line.Contains("This instance's master key is not retired, the database says: it stores secrets again")); // (it was heard)
        Assert.DoesNotContain(logs.Lines, line => line.Contains(TurnedRetired)); // (no Error to alert on: the database did not confirm it)
        Assert.Contains(logs.Lines, line => line.StartsWith("Warning ", StringComparison.Ordinal) && // (said at once, naming who sent it)
            line.Contains("A rotation's notice names this instance's master key as retired (1 since ") && line.Contains($" from PostgreSQL process {sender})"));
        Assert.False(ProtectorOf(instance).Retirement.IsRetired);
        Assert.Equal(HttpStatusCode.Created, (await root.SendAsync(Keyed("/v2/apps", "after a spoofed notice"))).StatusCode);
    }

    /// <summary>What a request may write: apps, stored answers, keys, audit events (counted together).</summary>
    private const string WrittenSql =
        "SELECT format('%s apps, %s answers, %s keys, %s events', (SELECT count(*) FROM apps), (SELECT count(*) FROM idempotency_records), " +
        "(SELECT count(*) FROM api_keys), (SELECT count(*) FROM audit_events))";

    /// <summary>The creation of an app under <c>Idempotency-Key</c> <paramref name="key"/>: its answer is stored encrypted.</summary>
    private static HttpRequestMessage Keyed(string path, string key) =>
        new(HttpMethod.Post, path) { Content = JsonContent.Create(new { displayName = "keyed " + key }), Headers = { { "Idempotency-Key", key } } };

    private static AesGcmSecretProtector ProtectorOf(ConfiguredServiceFactory instance) => instance.Services.GetRequiredService<AesGcmSecretProtector>();

    /// <summary>What an instance logs, once, when its master key turns retired while it runs.</summary>
    private const string TurnedRetired = "A finished rotate-secrets retired this instance's master key";

    /// <summary>
    /// Waits (up to 30 s) until <paramref name="instance"/>'s listener is connected and has had the master key checked (as
    /// it does on every connect): from then on only a rotation's notice, a reconnect or <c>/readyz</c> checks it again.
    /// </summary>
    private static async Task UntilKeyCheckedAsync(ConfiguredServiceFactory instance)
    {
        await CachedCredentials.UntilTrustedAsync(instance);
        var watch = instance.Services.GetRequiredService<RetiredMasterKeyWatch>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (watch.ChecksCompleted == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.True(watch.ChecksCompleted > 0, "the instance's master key was not checked on its listener's connect");
    }

    /// <summary>Waits (up to 30 s) until <paramref name="logs"/> hold a line containing <paramref name="text"/>.</summary>
    private static async Task UntilLoggedAsync(CollectingLoggerProvider logs, string text)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!logs.Lines.Any(line => line.Contains(text, StringComparison.Ordinal)) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.Contains(logs.Lines, line => line.Contains(text, StringComparison.Ordinal));
    }

    /// <summary>Waits (up to 30 s) until <paramref name="instance"/> has found its master key retired.</summary>
    private static async Task UntilRetiredAsync(ConfiguredServiceFactory instance)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!ProtectorOf(instance).Retirement.IsRetired && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.True(ProtectorOf(instance).Retirement.IsRetired, "the instance did not find its master key retired");
    }

    /// <summary>
    /// What a finished rotation from <paramref name="oldKey"/> to <paramref name="newKey"/> leaves for the instances — the
    /// check value under the new key, the old key retired — written as a build from before its notice did (the secrets are
    /// not moved: the instances here have both keys).
    /// </summary>
    private static async Task RetireWithoutANoticeAsync(string database, string oldKey, string newKey)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var retire = new NpgsqlCommand(
            "WITH c AS (UPDATE master_key_check SET value = $1 WHERE id = 1) INSERT INTO retired_master_keys (key_id) VALUES ($2)", connection)
        {
            Parameters =
            {
                new() { Value = new AesGcmSecretProtector(Convert.FromBase64String(newKey)).Protect("provisioning-master-key-check-v1", SecretBinding.CheckValue) },
                new() { Value = new AesGcmSecretProtector(Convert.FromBase64String(oldKey)).CurrentKeyId },
            },
        };
        Assert.Equal(1, await retire.ExecuteNonQueryAsync());
    }

    [Fact]
    public async Task ASecretAStragglerWroteUnderTheRetiredKey_IsNamedByTheNextRun_AndMovedOnceTheOldKeyIsGiven()
    {
        // operations.md promised that a second rotate-secrets with the new key alone "refuses and names them"; it said "a
        // stored secret cannot be decrypted" and nothing more (an operator's probe): the operator could not tell which key.
        var (database, oldKey, newKey) = await SecretsUnderAnOldKeyAsync("before");
        await using (var rotated = Start(database, newKey, oldKey))
        {
            await RotateAsync(rotated);
        }

        // A secret under the retired key after the run: the database refuses a straggler's keys and stored answers
        // (AStragglersKeysAndStoredAnswers_…) and the run's last step waits for those in flight
        // (ASecretWrittenUnderTheOldKeyAcross…); one may still come from a database restored without those rules, or, as
        // here, written with the refusal out of the way.
        const string written = "act_00000000000000000000dead";
        const string secret = "a-secret-written-by-a-straggler-0123456789";
        var underOldKey = await WriterUnderAsync(database, oldKey);
        await ScalarAsync(database, $"ALTER TABLE api_keys DISABLE TRIGGER {SecretsUnderRetiredKeysTrigger}; " +
            $"{KeyWith(underOldKey, written, secret)}; ALTER TABLE api_keys ENABLE TRIGGER {SecretsUnderRetiredKeysTrigger}");

        var refused = await RunAsync(database, newKey, [], "rotate-secrets");
        Assert.Equal(1, refused.Exit);
        // The key it is under, by its fingerprint, as an operator computes it from a key: the first 4 bytes of its SHA-256.
        var fingerprint = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Convert.FromBase64String(oldKey))[..4]);
        Assert.Contains($"(No configured master key decrypts this secret, which names the master key of fingerprint {fingerprint}: " +
            $"the secret of key {written})", refused.Error);
        Assert.Contains("list the master key it was encrypted with among the previous keys", refused.Error);

        // Meanwhile an instance without that key answers the key's requests 503, as an outage: its configuration lacks a
        // key, which is no defect to report (a probe restored a database under another key beneath running instances, and
        // every authenticated request answered 500).
        await using (var lacking = Start(database, newKey))
        {
            using var refusedClient = As(lacking, written, secret);
            var answer = await refusedClient.GetAsync("/v2/apps");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.StatusCode);
            Assert.Contains("\"code\":\"service_unavailable\"", await answer.Content.ReadAsStringAsync());
        }

        Assert.Equal(0, (await RunAsync(database, newKey, [oldKey], "rotate-secrets")).Exit);
        await using var after = Start(database, newKey);
        using var late = As(after, written, secret);
        Assert.Equal(HttpStatusCode.OK, (await late.GetAsync("/v2/apps")).StatusCode);
    }

    [Fact]
    public async Task SecretsWrittenBeforeBindings_StillWork_AndARotationToTheSameKeyBindsThem_RetiringNothing()
    {
        // Builds of 2026-12-02 to 2026-12-06 wrote version 2: under a key, bound to no row (a copy into another row decrypted
        // there). They are read as they are; a rotate-secrets with the same key rewrites them as version 3, bound.
        var database = await NewDatabaseAsync();
        var key = NewMasterKey();
        await using (var first = Start(database, key))
        {
            using var root = As(first, ServiceFixture.RootKeyId, ServiceFixture.RootSecret);
            Assert.Equal(HttpStatusCode.OK, (await root.GetAsync("/v2/keys")).StatusCode);
        }

        await ScalarAsync(database, $"UPDATE api_keys SET protected_secret = {Bytea(Version2(key, ServiceFixture.RootSecret))} WHERE id = '{ServiceFixture.RootKeyId}'; " +
            $"UPDATE master_key_check SET value = {Bytea(Version2(key, "provisioning-master-key-check-v1"))}");
        await using (var before = Start(database, key))
        {
            using var root = As(before, ServiceFixture.RootKeyId, ServiceFixture.RootSecret);
            Assert.Equal(HttpStatusCode.OK, (await root.GetAsync("/v2/keys")).StatusCode);
            using var ready = before.CreateClient();
            Assert.Equal(HttpStatusCode.OK, (await ready.GetAsync("/readyz")).StatusCode);
        }

        Assert.Equal(0, (await RunAsync(database, key, [], "rotate-secrets")).Exit);
        var header = Convert.ToHexStringLower([3, .. new AesGcmSecretProtector(Convert.FromBase64String(key)).CurrentKeyId]);
        Assert.Equal(header, (string)(await ScalarAsync(database,
            $"SELECT encode(substring(protected_secret FROM 1 FOR 5), 'hex') FROM api_keys WHERE id = '{ServiceFixture.RootKeyId}'"))!);
        Assert.Equal(header, (string)(await ScalarAsync(database, "SELECT encode(substring(value FROM 1 FOR 5), 'hex') FROM master_key_check"))!);
        Assert.Equal(0L, await ScalarAsync(database, "SELECT count(*) FROM retired_master_keys"));
        await using var after = Start(database, key);
        using var client = As(after, ServiceFixture.RootKeyId, ServiceFixture.RootSecret);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v2/keys")).StatusCode);
    }

    /// <summary>A value as builds of 2026-12-02 to 2026-12-06 wrote it: 2 | key id | nonce | tag | ciphertext, nothing bound.</summary>
    private static byte[] Version2(string masterKey, string plaintext)
    {
        var key = Convert.FromBase64String(masterKey);
        var text = System.Text.Encoding.UTF8.GetBytes(plaintext);
        var value = new byte[1 + 4 + 12 + 16 + text.Length];
        value[0] = 2;
        SHA256.HashData(key).AsSpan(0, 4).CopyTo(value.AsSpan(1));
        RandomNumberGenerator.Fill(value.AsSpan(5, 12));
        using var aes = new AesGcm(key, 16);
        aes.Encrypt(value.AsSpan(5, 12), text, value.AsSpan(33), value.AsSpan(17, 16));
        return value;
    }

    [Fact]
    public async Task ASecretAlteredInTheDatabase_IsSaidToBe_AndNoKeyIsAskedFor()
    {
        // A secret that names a key the run was given and still does not decrypt was changed (by hand, a faulty restore): the
        // run must not send the operator looking for a master key that does not exist.
        var (database, oldKey, newKey) = await SecretsUnderAnOldKeyAsync("altered");
        await ScalarAsync(database, "UPDATE api_keys SET protected_secret = set_byte(protected_secret, length(protected_secret) - 1, " +
            $"255 - get_byte(protected_secret, length(protected_secret) - 1)) WHERE id = '{ServiceFixture.RootKeyId}'");

        var refused = await RunAsync(database, newKey, [oldKey], "rotate-secrets");
        Assert.Equal(1, refused.Exit);
        var fingerprint = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Convert.FromBase64String(oldKey))[..4]);
        Assert.Contains($"not even the one of fingerprint {fingerprint} it names: it was altered, or copied from where it was stored: the secret of key {ServiceFixture.RootKeyId}", refused.Error);
        Assert.Contains("No master key will decrypt it: restore that row from a backup, or delete the credential", refused.Error);
        Assert.DoesNotContain("list the master key it was encrypted with", refused.Error);
    }

    [Fact]
    public async Task AFinishedRotation_RetiresEveryKeySecretsWereUnder_AnAbandonedTargetToo_AndAnEmptiedCheckRecordsNoRetiredKey()
    {
        var database = await NewDatabaseAsync();
        var a = NewMasterKey();
        var b = NewMasterKey();
        await using (var first = Start(database, a))
        {
            using var root = As(first, ServiceFixture.RootKeyId, ServiceFixture.RootSecret);
            await root.PostJsonAsync("/v2/keys", new { displayName = "second" }, HttpStatusCode.Created);
        }

        // A rotation to B stopped half-way (a row held past its wait); the operator goes back: a run to A finishes.
        await using (var toB = Start(database, b, a))
        {
            await using var scope = toB.Services.CreateAsyncScope();
            await using var held = await HeldRow.LockAsync(database, "api_keys", ServiceFixture.RootKeyId);
            await Assert.ThrowsAsync<SecretRotationIncompleteException>(() => scope.ServiceProvider.GetRequiredService<SecretRotation>()
                .RotateAsync(batchSize: 1, progress: null, CancellationToken.None, lockWait: TimeSpan.FromSeconds(1)));
        }

        await using (var backToA = Start(database, a, b))
        {
            await RotateAsync(backToA);
        }

        // Secrets were under B too: an instance still on it would go on writing under a key the database has left. It is
        // retired (a rotation onward takes a new key), and A, which did not change, is not.
        Assert.Equal(1L, await ScalarAsync(database, "SELECT count(*) FROM retired_master_keys"));
        var onB = await RunVerbAsync(database, b, a);
        Assert.Equal(1, onB.Exit);
        Assert.Contains("or the target of a rotation that did not finish", onB.Error);
        Assert.Equal(0, (await RunVerbAsync(database, a, b)).Exit);

        // Onward to C, which finishes: A is retired too. The check values deleted by hand, A cannot record one of its own.
        var c = NewMasterKey();
        await using (var toC = Start(database, c, a))
        {
            await RotateAsync(toC);
        }

        Assert.Equal(2L, await ScalarAsync(database, "SELECT count(*) FROM retired_master_keys"));
        await ScalarAsync(database, "DELETE FROM master_key_check");
        var refused = await RunVerbAsync(database, a, c);
        Assert.Equal(1, refused.Exit);
        Assert.Contains(MasterKeyCheck.RetiredKeySentence, refused.Error);
        var startRefused = await ServiceStartAsync(database, a);
        Assert.NotEqual(0, startRefused.Exit);
        Assert.Contains(MasterKeyCheck.RetiredKeySentence, startRefused.Error);
        Assert.Equal(0L, await ScalarAsync(database, "SELECT count(*) FROM master_key_check"));

        // A retired key that holds the check value is current again (an older build's rotation back to it, which does not
        // read the table): not refused.
        var underC = new AesGcmSecretProtector(Convert.FromBase64String(c));
        await using (var connection = new NpgsqlConnection(database))
        {
            await connection.OpenAsync();
            await using var record = new NpgsqlCommand(
                "WITH c AS (INSERT INTO master_key_check (id, value) VALUES (1, $1)) INSERT INTO retired_master_keys (key_id) VALUES ($2)", connection)
            {
                Parameters = { new() { Value = underC.Protect("provisioning-master-key-check-v1", SecretBinding.CheckValue) }, new() { Value = underC.CurrentKeyId } },
            };
            await record.ExecuteNonQueryAsync();
        }

        Assert.Equal(0, (await RunVerbAsync(database, c)).Exit);
        // The database agrees (migration SecretsUnderRetiredKeysRefused): a key secret under it is written.
        var created = await RunAsync(database, c, [], "create-account-key", "--tenant", "root");
        Assert.True(created.Exit == 0, created.Error);
        await ScalarAsync(database, "DELETE FROM master_key_check");
        Assert.Equal(1, (await RunVerbAsync(database, c)).Exit); // (the same, without the check value under it: retired)
    }

    [Fact]
    public async Task ADatabaseWithoutACheckValue_ButWithSecrets_RefusesAnotherKey_AndRecordsNothingUnderIt()
    {
        // A database written before the check value existed (the release of 2026-11-23), or one whose check was deleted by
        // hand: a start with another key recorded a check value under it and came up ready, every stored credential answered
        // 500, and the right key was refused afterwards (an upgrade probe). Its secrets stand in for the check value now.
        var database = await NewDatabaseAsync();
        var right = NewMasterKey();
        await using (var first = Start(database, right))
        {
            using var root = As(first, ServiceFixture.RootKeyId, ServiceFixture.RootSecret);
            using var keyed = new HttpRequestMessage(HttpMethod.Post, "/v2/keys") { Content = Http.Json(new { displayName = "second" }) };
            keyed.Headers.Add("Idempotency-Key", "upgrade-1");
            Assert.Equal(HttpStatusCode.Created, (await root.SendAsync(keyed)).StatusCode);
        }

        await ScalarAsync(database, "DELETE FROM master_key_check");
        Assert.Equal(1L, await ScalarAsync(database, "SELECT count(*) FROM idempotency_records"));
        var wrong = NewMasterKey();
        var started = await ServiceStartAsync(database, wrong);
        Assert.NotEqual(0, started.Exit);
        Assert.Contains("do not include every key this database's secrets are encrypted with", started.Error);
        var verb = await RunVerbAsync(database, wrong);
        Assert.Equal(1, verb.Exit);
        Assert.Contains("do not include every key this database's secrets are encrypted with", verb.Error);

        // The wrong key as MasterKey, the right one among the previous keys: everything decrypts, but a check value under
        // the wrong key would let it start alone later. Refused, saying which key to start with.
        var withRightAsPrevious = await RunAsync(database, wrong, [right], "--urls", "http://127.0.0.1:0");
        Assert.NotEqual(0, withRightAsPrevious.Exit);
        Assert.Contains(MasterKeyCheck.NotYetCheckedSentence, withRightAsPrevious.Error);
        Assert.Contains(MasterKeyCheck.NotYetCheckedSentence, (await RunVerbAsync(database, wrong, right)).Error);
        Assert.Equal(0L, await ScalarAsync(database, "SELECT count(*) FROM master_key_check"));

        // The right key records the check value and serves.
        await using (var again = Start(database, right))
        {
            using var root = As(again, ServiceFixture.RootKeyId, ServiceFixture.RootSecret);
            Assert.Equal(HttpStatusCode.OK, (await root.GetAsync("/v2/apps")).StatusCode);
        }

        Assert.Equal(1L, await ScalarAsync(database, "SELECT count(*) FROM master_key_check"));

        // /readyz says the same of a running instance: with the check value under the right key, the wrong one as MasterKey and
        // the right one as previous is a rotation's first round (ready); once the check value is gone, it is not ready.
        var logs = new CollectingLoggerProvider();
        await using (var firstRound = Start(database, logs, wrong, right))
        {
            using var probe = firstRound.CreateClient();
            Assert.Equal(HttpStatusCode.OK, (await probe.GetAsync("/readyz")).StatusCode);
            await ScalarAsync(database, "DELETE FROM master_key_check");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await probe.GetAsync("/readyz")).StatusCode);
            Assert.Contains(logs.Lines, line => line.Contains(MasterKeyCheck.NotYetCheckedSentence));
        }

        Assert.Equal(0L, await ScalarAsync(database, "SELECT count(*) FROM master_key_check"));
        Assert.Equal(0, (await RunVerbAsync(database, right)).Exit); // (the right key, with no check value: accepted as before)
    }

    [Fact]
    public async Task WithoutACheckValue_AnAppKeyOrAServiceAccountKeyStandsInForIt_ReadUnderItsOwnersBinding()
    {
        // The stand-in is the first key by id, an act_ one while any is left (act_ < app_ < svc_): read with the wrong owner
        // columns, an app's or a service account's key would not open under the right master key, which would be refused.
        var database = await NewDatabaseAsync();
        var right = NewMasterKey();
        await using (var first = Start(database, right))
        {
            using var root = As(first, ServiceFixture.RootKeyId, ServiceFixture.RootSecret);
            var app = await root.CreateAppAsync();
            await root.CreateAppKeyAsync(app);
            var account = await root.CreateServiceAccountAsync();
            await root.CreateServiceAccountKeyAsync(account.Id);
        }

        await ScalarAsync(database, "DELETE FROM master_key_check");
        await ScalarAsync(database, $"DELETE FROM api_keys WHERE kind = {(int)Domain.Credentials.KeyKind.Account}");
        Assert.Equal(0L, await ScalarAsync(database, "SELECT count(*) FROM idempotency_records"));
        Assert.StartsWith("app_", (string)(await ScalarAsync(database, "SELECT min(id) FROM api_keys"))!);
        Assert.Equal(0, (await RunVerbAsync(database, right)).Exit);
        Assert.Equal(1, (await RunVerbAsync(database, NewMasterKey())).Exit);

        await ScalarAsync(database, $"DELETE FROM api_keys WHERE kind = {(int)Domain.Credentials.KeyKind.App}");
        Assert.StartsWith("svc_", (string)(await ScalarAsync(database, "SELECT min(id) FROM api_keys"))!);
        Assert.Equal(0, (await RunVerbAsync(database, right)).Exit);
        Assert.Equal(1, (await RunVerbAsync(database, NewMasterKey())).Exit);
    }

    /// <summary>The <c>tenants</c> verb, which checks the master keys as a start does (without recording a check value).</summary>
    private static Task<(int Exit, string Error)> RunVerbAsync(string database, string key, params string[] previous) =>
        RunAsync(database, key, previous, "tenants");

    /// <summary>The service's start (which records a check value when there is none), on a port of its own.</summary>
    private static Task<(int Exit, string Error)> ServiceStartAsync(string database, string key) =>
        RunAsync(database, key, [], "--urls", "http://127.0.0.1:0");

    /// <summary>
    /// A verb in the test's process (<see cref="InProcessVerb"/>: its exit code and what it says cost no process), the service's
    /// start (no verb) in a process of its own.
    /// </summary>
    private static async Task<(int Exit, string Error)> RunAsync(string database, string key, string[] previous, params string[] args)
    {
        var environment = new Dictionary<string, string?> { ["ConnectionStrings__Provisioning"] = database, ["Provisioning__Secrets__MasterKey"] = key };
        for (var i = 0; i < previous.Length; i++)
        {
            environment[$"Provisioning__Secrets__PreviousMasterKeys__{i}"] = previous[i];
        }

        var (exit, _, error) = await InProcessVerb.RunOrStartAsync(environment, TimeSpan.FromSeconds(90), args);
        return (exit, error);
    }

    /// <summary>The root key's secret as stored (under the master key it was written with).</summary>
    /// <summary>What an instance still on <paramref name="masterKey"/> writes with, and the root tenant its keys below are made in.</summary>
    private static async Task<(AesGcmSecretProtector Under, string RootTenant)> WriterUnderAsync(string database, string masterKey) =>
        (new AesGcmSecretProtector(Convert.FromBase64String(masterKey)),
         (string)(await ScalarAsync(database, $"SELECT tenant_id FROM api_keys WHERE id = '{ServiceFixture.RootKeyId}'"))!);

    /// <summary>
    /// SQL writing key <paramref name="id"/> (the root's owner and kind) with <paramref name="secret"/> stored as its secret, as
    /// <paramref name="writer"/> writes it (bound to that row).
    /// </summary>
    private static string KeyWith((AesGcmSecretProtector Under, string RootTenant) writer, string id, string secret = "a-straggler's-secret") =>
        "INSERT INTO api_keys (id, kind, tenant_id, display_name, protected_secret, is_tenant_token, created_at) " +
        $"SELECT '{id}', kind, tenant_id, 'straggler', " +
        $"{Bytea(writer.Under.Protect(secret, SecretBinding.OfKey(id, Domain.Credentials.KeyKind.Account, writer.RootTenant, null, null)))}, " +
        $"false, now() FROM api_keys WHERE id = '{ServiceFixture.RootKeyId}'";

    /// <summary>SQL writing a stored answer of credential <paramref name="scope"/> under <paramref name="key"/> (names the test's), as <paramref name="writer"/> writes it.</summary>
    private static string AnswerWith((AesGcmSecretProtector Under, string RootTenant) writer, string scope, string key) =>
        "INSERT INTO idempotency_records (scope, key, fingerprint, status, protected_body, created_at) " +
        $"VALUES ('{scope}', '{key}', '\\x00', 201, {Bytea(writer.Under.Protect("{}", SecretBinding.OfStoredAnswer(scope, key)))}, now())";

    private static string Bytea(byte[] bytes) => $"'\\x{Convert.ToHexString(bytes)}'::bytea";

    /// <summary>How many stored secrets (keys, stored answers) are not as <paramref name="protector"/>'s current key writes them (its header).</summary>
    private static string UnderAnotherKeyThan(AesGcmSecretProtector protector)
    {
        var literal = Bytea(protector.CurrentKeyHeader);
        return $"SELECT (SELECT count(*) FROM api_keys WHERE {AesGcmSecretProtector.SqlHeaderOf("protected_secret")} IS DISTINCT FROM {literal}) " +
            $"+ (SELECT count(*) FROM idempotency_records WHERE {AesGcmSecretProtector.SqlHeaderOf("protected_body")} IS DISTINCT FROM {literal})";
    }

    private static async Task<object?> ScalarAsync(string database, string sql)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    [Fact]
    public async Task ASecretWrittenUnderTheOldKeyAcrossTheRunsLastLook_IsWaitedFor_AndCounted_NotLeftUnderTheKeyItRetires()
    {
        // The run's last look at what was left ran in a snapshot of its own and the retirement committed after it: a secret
        // (a key, a stored answer) an instance still on the old key was writing then, its transaction open across both,
        // stayed under the key the run retired, after a run that said "Done" (a review). The last step now waits for such
        // writes and counts what they wrote.
        var (database, oldKey, newKey) = await SecretsUnderAnOldKeyAsync("before");
        var underOldKey = await WriterUnderAsync(database, oldKey);
        await using var during = Start(database, newKey, oldKey);
        await using var scope = during.Services.CreateAsyncScope();
        var rotation = scope.ServiceProvider.GetRequiredService<SecretRotation>();
        var target = scope.ServiceProvider.GetRequiredService<AesGcmSecretProtector>();

        // A stored answer of an idempotent request, committed while the last step waits for it: counted, nothing is retired.
        await using (var straggler = await HeldRow.BeginAsync(database))
        {
            await straggler.ExecuteAsync(AnswerWith(underOldKey, ServiceFixture.RootKeyId, "straggler"));
            var rotating = rotation.RotateAsync(batchSize: 10, progress: null, CancellationToken.None);
            await straggler.UntilWaitingAsync(1); // (the passes cannot see it: the last step waits for its writes to end)
            await straggler.ReleaseAsync();
            var refused = await Assert.ThrowsAsync<SecretRotationIncompleteException>(() => rotating);
            Assert.Contains("1 stored secret(s) were written under an older master key while this ran", refused.Message);
        }

        Assert.Equal(0L, await ScalarAsync(database, "SELECT count(*) FROM retired_master_keys"));
        Assert.Equal(1L, await ScalarAsync(database, UnderAnotherKeyThan(target)));
        Assert.Equal(2L, await ScalarAsync(database, "SELECT count(*) FROM master_key_check")); // (the old key's value and the target's)

        // A vacuum's lock held past the wait (one of another session: PostgreSQL cancels only autovacuum's for a waiter): named.
        await using (var vacuum = await HeldRow.BeginAsync(database))
        {
            await vacuum.ExecuteAsync("LOCK TABLE idempotency_records IN SHARE UPDATE EXCLUSIVE MODE");
            var refused = await Assert.ThrowsAsync<SecretRotationIncompleteException>(
                () => rotation.RotateAsync(batchSize: 10, progress: null, CancellationToken.None, lockWait: TimeSpan.FromSeconds(1)));
            Assert.Contains(", ShareUpdateExclusiveLock on idempotency_records (a VACUUM or ANALYZE))", refused.Message);
        }

        // A key held past the wait: the run gives up, says so, and changes nothing more.
        await using (var straggler = await HeldRow.BeginAsync(database))
        {
            await straggler.ExecuteAsync("SET application_name = 'provisioning 00000000000057a9'"); // (an instance's sessions are named so)
            await straggler.ExecuteAsync(KeyWith(underOldKey, "act_00000000000000000000stra"));
            var refused = await Assert.ThrowsAsync<SecretRotationIncompleteException>(
                () => rotation.RotateAsync(batchSize: 10, progress: null, CancellationToken.None, lockWait: TimeSpan.FromSeconds(1)));
            Assert.Contains("did not pause for the last step within 1 s (held by PostgreSQL process ", refused.Message);
            Assert.Contains(" ('provisioning 00000000000057a9'), RowExclusiveLock on api_keys)", refused.Message);
            Assert.Equal(0L, await ScalarAsync(database, "SELECT count(*) FROM retired_master_keys"));
            Assert.Equal(0, await rotation.PendingAsync(CancellationToken.None)); // (its passes moved the stored answer)

            // Rolled back while the last step waits: the run finishes.
            var rotating = rotation.RotateAsync(batchSize: 10, progress: null, CancellationToken.None);
            await straggler.UntilWaitingAsync(1);
            await straggler.ExecuteAsync("ROLLBACK");
            Assert.Equal(0, await rotating);
        }

        Assert.Equal(0, await rotation.PendingAsync(CancellationToken.None));
        Assert.Equal(1L, await ScalarAsync(database, "SELECT count(*) FROM retired_master_keys"));
        Assert.Equal(1L, await ScalarAsync(database, "SELECT count(*) FROM master_key_check"));
        Assert.Equal(0L, await ScalarAsync(database, UnderAnotherKeyThan(target)));
        await using var after = Start(database, newKey);
        using var client = after.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz")).StatusCode);
    }

    [Fact]
    public async Task TheCheckValueHeldByAnotherSession_DuringTheLastStep_IsNamedAsWhatItWaitedFor_AndWaitedOutWhenItGoes()
    {
        // After pausing the writes, the last step writes the check value and the retired keys, under the same short lock
        // waits. A session holding the check value's row made it give up naming the writes of keys as what did not pause,
        // and "no session held them" (a review).
        var (database, oldKey, newKey) = await SecretsUnderAnOldKeyAsync("before");
        await using var during = Start(database, newKey, oldKey);
        await using var scope = during.Services.CreateAsyncScope();
        var rotation = scope.ServiceProvider.GetRequiredService<SecretRotation>();

        await using (var held = await HeldRow.BeginAsync(database))
        {
            await held.ExecuteAsync("SET application_name = 'psql'");
            await held.ExecuteAsync("SELECT 1 FROM master_key_check WHERE id = 1 FOR UPDATE");
            var refused = await Assert.ThrowsAsync<SecretRotationIncompleteException>(
                () => rotation.RotateAsync(batchSize: 10, progress: null, CancellationToken.None, lockWait: TimeSpan.FromSeconds(1)));
            Assert.Contains(
                "but the last step could not write the master-key check and the retired keys within 1 s (held by PostgreSQL process ",
                refused.Message);
            Assert.Contains(" ('psql'), RowShareLock on master_key_check)", refused.Message);
            Assert.Equal(0L, await ScalarAsync(database, "SELECT count(*) FROM retired_master_keys"));

            // Let go while the last step waits: the run finishes.
            var rotating = rotation.RotateAsync(batchSize: 10, progress: null, CancellationToken.None);
            await held.UntilWaitingAsync(1);
            await held.ReleaseAsync();
            Assert.Equal(0, await rotating);
        }

        Assert.Equal(1L, await ScalarAsync(database, "SELECT count(*) FROM retired_master_keys"));
        Assert.Equal(1L, await ScalarAsync(database, "SELECT count(*) FROM master_key_check"));
    }

    [Fact]
    public async Task AStragglerWritingThroughoutTheRun_DoesNotKeepAPassGoing_TheRunEndsAndCountsWhatItWrote()
    {
        // Each batch began at the first row, so a pass took up whatever an instance still on the old key wrote meanwhile:
        // a run under such a straggler's load did not end in a quarter of an hour (a probe). A pass now goes up to the
        // last row as it began; what is written after is counted at the end. Here a secret under the old key is written
        // after every batch (at the end of the key order, as time-ordered ids are), up to 40 of them.
        var (database, oldKey, newKey) = await SecretsUnderAnOldKeyAsync("straggled");
        var underOldKey = await WriterUnderAsync(database, oldKey);
        await using var during = Start(database, newKey, oldKey);
        await using var scope = during.Services.CreateAsyncScope();
        var rotation = scope.ServiceProvider.GetRequiredService<SecretRotation>();
        await using var straggler = new NpgsqlConnection(database);
        await straggler.OpenAsync();
        var written = 0;
        void WriteOne(int _)
        {
            if (written == 40)
            {
                return;
            }

            written++;
            using var insert = new NpgsqlCommand(KeyWith(underOldKey, $"svc_ffffffffffffffffffff{written:x4}"), straggler);
            insert.ExecuteNonQuery();
        }

        var refused = await Assert.ThrowsAsync<SecretRotationIncompleteException>(
            () => rotation.RotateAsync(batchSize: 1, progress: WriteOne, CancellationToken.None));
        // Two keys moved by the first pass, a write after each (behind its end); the second pass moves those two, a write
        // after each; those two are counted.
        Assert.Equal(4, written);
        Assert.Contains("2 stored secret(s) were written under an older master key while this ran", refused.Message);
        Assert.Equal(0L, await ScalarAsync(database, "SELECT count(*) FROM retired_master_keys"));

        // Once the straggler stops, a run finishes.
        Assert.True(await RotateAsync(during) > 0);
        Assert.Equal(0, await rotation.PendingAsync(CancellationToken.None));
    }

    [Fact]
    public async Task StoredAnswersOverManyBatches_AllMove_WhateverTheirCredentialsAndKeys()
    {
        // A pass walks idempotency_records by (credential, key) from batch to batch: keys a client chose, in any case and
        // form (the empty string, an accent composed and decomposed), under credentials of every kind.
        var (database, oldKey, newKey) = await SecretsUnderAnOldKeyAsync("answers");
        var underOldKey = await WriterUnderAsync(database, oldKey);
        string[] scopes = [ServiceFixture.RootKeyId, "app_00000000000000000000000a", "svc_00000000000000000000000b"];
        string[] keys = ["", "é", "e\u0301", "A", "a", "z"];
        await ScalarAsync(database, string.Join("; ", scopes.SelectMany(scope => keys.Select(key => AnswerWith(underOldKey, scope, key)))));

        await using var during = Start(database, newKey, oldKey);
        Assert.Equal(2 + scopes.Length * keys.Length, await RotateAsync(during, batchSize: 2)); // (the two keys, the answers)
        await using var services = during.Services.CreateAsyncScope();
        Assert.Equal(0L, await ScalarAsync(database, UnderAnotherKeyThan(services.ServiceProvider.GetRequiredService<AesGcmSecretProtector>())));
    }

    [Fact]
    public async Task ASecretAnotherTransactionHolds_IsWaitedFor_AndTheCheckValueMovesOnlyOnceNothingIsLeft()
    {
        // rotate-secrets skipped rows other transactions held (SKIP LOCKED), said "Done" and moved the check value: a
        // service then started with the new key alone, and the key whose row was held answered 500 (a probe).
        var (database, oldKey, newKey) = await SecretsUnderAnOldKeyAsync("held");

        await using var during = Start(database, newKey, oldKey);
        await using var scope = during.Services.CreateAsyncScope();
        var rotation = scope.ServiceProvider.GetRequiredService<SecretRotation>();
        var protector = scope.ServiceProvider.GetRequiredService<AesGcmSecretProtector>();
        async Task<bool> CheckValueMovedAsync()
        {
            await using var connection = new NpgsqlConnection(database);
            await connection.OpenAsync();
            await using var read = new NpgsqlCommand("SELECT value FROM master_key_check WHERE id = 1", connection);
            return protector.IsUnderCurrentKey((byte[])(await read.ExecuteScalarAsync())!);
        }

        await using var held = await HeldRow.LockAsync(database, "api_keys", ServiceFixture.RootKeyId);

        // Held past the wait: the rotation says how many are left, and the check value stays where it was.
        var refused = await Assert.ThrowsAsync<SecretRotationIncompleteException>(
            () => rotation.RotateAsync(batchSize: 2, progress: null, CancellationToken.None, lockWait: TimeSpan.FromSeconds(1)));
        Assert.Contains("1 stored secret", refused.Message);
        Assert.Equal(1, await rotation.PendingAsync(CancellationToken.None));
        Assert.False(await CheckValueMovedAsync());

        // Most secrets are under the new key now: neither key alone may be taken for this database's (a probe started
        // with the old key alone after an interrupted rotation: Healthy, and every key it had re-encrypted answered 500).
        foreach (var alone in new[] { oldKey, newKey })
        {
            // (The service's own check, as its start runs it: the verbs run it the same way.)
            var (exit, error) = await RunVerbAsync(database, alone);
            Assert.Equal(1, exit);
            Assert.Contains("do not include every key this database's secrets are encrypted with", error);
        }

        await using (var both = Start(database, newKey, oldKey))
        {
            using var ready = both.CreateClient();
            Assert.Equal(HttpStatusCode.OK, (await ready.GetAsync("/readyz")).StatusCode);
        }

        // A second rotation while one runs is refused at once (two operators, or one run stopped with its session open).
        await using (var other = new NpgsqlConnection(database))
        {
            await other.OpenAsync();
            await using (var take = new NpgsqlCommand($"SELECT pg_advisory_lock({SecretRotation.RotationLock})", other))
            {
                await take.ExecuteNonQueryAsync();
            }

            var busy = await Assert.ThrowsAsync<SecretRotationIncompleteException>(() => rotation.RotateAsync(batchSize: 2, progress: null, CancellationToken.None));
            Assert.Contains("Another rotate-secrets", busy.Message);
            await using var free = new NpgsqlCommand($"SELECT pg_advisory_unlock({SecretRotation.RotationLock})", other);
            await free.ExecuteNonQueryAsync(); // (a pooled connection's session outlives its Dispose)
        }

        // Held for less than the wait: the rotation waits for it and finishes.
        var rotating = rotation.RotateAsync(batchSize: 2, progress: null, CancellationToken.None, lockWait: TimeSpan.FromSeconds(30));
        await held.UntilWaitingAsync(1); // its second pass is waiting for the held row (not a fixed pause that may end before)
        await held.ReleaseAsync();

        Assert.Equal(1, await rotating);
        Assert.Equal(0, await rotation.PendingAsync(CancellationToken.None));
        Assert.True(await CheckValueMovedAsync());
    }
}
