using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Provisioning.Domain.Audit;
using Provisioning.Infrastructure.Persistence;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Hosting;

/// <summary>Start-up as API.md section 8 describes it, each case on a database of its own.</summary>
[Collection(ProcessTestCollection.Name)]
public sealed class StartupTests(ServiceFixture service)
{
    [Fact]
    public async Task NamesComparedByCaseOnly_AreSaidInAWarningAtStart_AsOnAPostgreSqlWithoutIcu()
    {
        // Without ICU the migration leaves the names' column on the default collation: the start says what that means.
        var database = await service.Postgres.CreateDatabaseAsync("noicu_" + Guid.NewGuid().ToString("N")[..8]);
        var usual = new CollectingLoggerProvider();
        await using (var first = new ConfiguredServiceFactory(database, ServiceFixture.RootKeySettings(), services: s => s.AddSingleton<ILoggerProvider>(usual)))
        {
            first.CreateClient().Dispose();
        }

        Assert.DoesNotContain(usual.Lines, l => l.Contains("compared up to case only", StringComparison.Ordinal));
        await Sql.ExecuteAsync(database, "ALTER TABLE service_accounts ALTER COLUMN normalized_name TYPE character varying(100) COLLATE \"default\"");
        var logs = new CollectingLoggerProvider();
        await using var again = new ConfiguredServiceFactory(database, ServiceFixture.RootKeySettings(), services: s => s.AddSingleton<ILoggerProvider>(logs));
        again.CreateClient().Dispose();
        Assert.Single(logs.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal)
            && l.Contains("Service-account names are compared up to case only (their column's collation is default, not canonical)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task FirstStart_MigratesAndBootstrapsTheConfiguredRootKey_AndASecondStartKeepsIt()
    {
        var database = await service.Postgres.CreateDatabaseAsync("startup_" + Guid.NewGuid().ToString("N")[..8]);
        const string keyId = "act_0123456789abcdef01234567";
        const string secret = "configured-secret-0123456789abcdef";
        var settings = new Dictionary<string, string?>
        {
            ["Provisioning:Bootstrap:TenantName"] = "Operator",
            ["Provisioning:Bootstrap:KeyId"] = keyId,
            ["Provisioning:Bootstrap:Secret"] = secret,
        };

        await using (var first = new ConfiguredServiceFactory(database, settings))
        {
            using var client = first.CreateClient();
            client.DefaultRequestHeaders.Authorization = ServiceFixture.BasicHeader(keyId, secret);
            var self = (await client.GetJsonAsync("/v2/tenants/self"))["tenant"]!;
            Assert.Equal("Operator", (string?)self["name"]);
            Assert.Null(self["parentId"]);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz")).StatusCode);

            // Migrations ran without a command timeout; the pooled context they used hands requests the default again.
            await using var scope = first.Services.CreateAsyncScope();
            Assert.NotEqual(0, scope.ServiceProvider.GetRequiredService<ProvisioningDbContext>().Database.GetCommandTimeout() ?? 30);
        }

        // A restart with other bootstrap settings keeps the existing root (and makes no second one), and says the
        // configured key was not made.
        settings["Provisioning:Bootstrap:KeyId"] = "act_fedcba9876543210fedcba98";
        var logs = new CollectingLoggerProvider();
        await using (var second = new ConfiguredServiceFactory(database, settings, services: s => s.AddSingleton<ILoggerProvider>(logs)))
        {
            using var client = second.CreateClient();
            client.DefaultRequestHeaders.Authorization = ServiceFixture.BasicHeader(keyId, secret);
            await client.GetJsonAsync("/v2/tenants/self");
            await using var scope = second.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<ProvisioningDbContext>();
            Assert.Equal(1, await db.Tenants.CountAsync(t => t.ParentId == null));
            Assert.Equal(1, await db.ApiKeys.CountAsync());
            Assert.Single(logs.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal)
                && l.Contains("act_fedcba9876543210fedcba98 is not a key of this database", StringComparison.Ordinal));
        }

        // With the key the root was made with, nothing to say.
        settings["Provisioning:Bootstrap:KeyId"] = keyId;
        var quiet = new CollectingLoggerProvider();
        await using (var third = new ConfiguredServiceFactory(database, settings, services: s => s.AddSingleton<ILoggerProvider>(quiet)))
        {
            third.CreateClient().Dispose();
            Assert.DoesNotContain(quiet.Lines, l => l.Contains("is not a key of this database", StringComparison.Ordinal));
            Assert.Contains(quiet.Lines, l => l.Contains("Root tenant", StringComparison.Ordinal) && l.Contains("exists", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task AStartOnADatabaseANewerVersionMigrated_SaysSo_AndStillServes()
    {
        // A probe rolled back to the previous build after an upgrade: it started on the migrated database without a
        // word. Additive migrations let an older build run on a newer schema (a rolling upgrade relies on it), so it is
        // not refused; but the operator is told, with the migrations it does not know.
        var database = await service.Postgres.CreateDatabaseAsync("newer_" + Guid.NewGuid().ToString("N")[..8]);
        await using (var first = new ConfiguredServiceFactory(database, ServiceFixture.RootKeySettings()))
        {
            first.CreateClient().Dispose();
        }

        await Sql.ExecuteAsync(database, """INSERT INTO "__EFMigrationsHistory" VALUES ('29991231000000_FromANewerVersion', '99.0.0')""");
        var logs = new CollectingLoggerProvider();
        await using var older = new ConfiguredServiceFactory(database, ServiceFixture.RootKeySettings(), services: s => s.AddSingleton<ILoggerProvider>(logs));
        using var client = older.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz")).StatusCode);
        Assert.Single(logs.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal)
            && l.Contains("29991231000000_FromANewerVersion", StringComparison.Ordinal) && l.Contains("newer version", StringComparison.Ordinal));

        // The same with migrations left to a separate step: the start that only checks them says it too (it was silent).
        var checking = new CollectingLoggerProvider();
        var settings = ServiceFixture.RootKeySettings();
        settings["Provisioning:Database:MigrateOnStartup"] = "false";
        await using var notMigrating = new ConfiguredServiceFactory(database, settings, services: s => s.AddSingleton<ILoggerProvider>(checking));
        using var checkingClient = notMigrating.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await checkingClient.GetAsync("/readyz")).StatusCode);
        Assert.Single(checking.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal)
            && l.Contains("29991231000000_FromANewerVersion", StringComparison.Ordinal));
    }

    [Fact]
    public async Task WhileAMigrationHoldsTheHistory_ReadyzStaysReady_AndStartsWaitForIt_NamingWhoHoldsIt()
    {
        // EF Core's Migrate holds "__EFMigrationsHistory" ACCESS EXCLUSIVE for its whole run, also while it waits for another
        // table's lock (an upgrade probe: its migration waited for a delete-tenant). A plain read of the history waited with
        // it: every instance's /readyz answered 503 after 30 s while requests were served, and a start failed with "did not
        // answer in time" instead of waiting for the migration. Here a session plays the migrating process: the migrations'
        // advisory lock (DatabaseMigrator.MigrationLock, "PROVMIGR") and the history table, as EF takes it.
        var database = await service.Postgres.CreateDatabaseAsync("migrating_" + Guid.NewGuid().ToString("N")[..8]);
        await using var serving = new ConfiguredServiceFactory(database, ServiceFixture.RootKeySettings());
        using var servingClient = serving.CreateClient();

        await using var migrator = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(database) { ApplicationName = "test migrator", Pooling = false }.ConnectionString);
        await migrator.OpenAsync();
        await using (var hold = new NpgsqlCommand("""SELECT pg_advisory_lock(5787775703206938450); BEGIN; LOCK TABLE "__EFMigrationsHistory" IN ACCESS EXCLUSIVE MODE""", migrator))
        {
            await hold.ExecuteNonQueryAsync();
        }

        Assert.Equal(HttpStatusCode.OK, (await servingClient.GetAsync("/readyz")).StatusCode);

        var migrating = new CollectingLoggerProvider();
        var checking = new CollectingLoggerProvider();
        var notMigratingSettings = ServiceFixture.RootKeySettings();
        notMigratingSettings["Provisioning:Database:MigrateOnStartup"] = "false";
        await using var second = new ConfiguredServiceFactory(database, ServiceFixture.RootKeySettings(), services: s => s.AddSingleton<ILoggerProvider>(migrating));
        await using var third = new ConfiguredServiceFactory(database, notMigratingSettings, services: s => s.AddSingleton<ILoggerProvider>(checking));
        var starts = new[] { Task.Run(second.CreateClient), Task.Run(third.CreateClient) };
        var waiting = $"Waiting for another process's migrations to finish (the lock is held by PostgreSQL process {migrator.ProcessID}, application_name 'test migrator')";
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!(migrating.Lines.Any(l => l.Contains(waiting, StringComparison.Ordinal)) && checking.Lines.Any(l => l.Contains(waiting, StringComparison.Ordinal)))
               && !starts.Any(t => t.IsFaulted) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.False(starts.Any(t => t.IsCompleted), "a start went on while migrations were being applied: " + string.Join(" | ", starts.Where(t => t.IsFaulted).Select(t => t.Exception!.GetBaseException().Message)));
        Assert.Contains(migrating.Lines, l => l.Contains(waiting, StringComparison.Ordinal));
        Assert.Contains(checking.Lines, l => l.Contains(waiting, StringComparison.Ordinal));

        await migrator.CloseAsync(); // the "migration" ends: its transaction and its lock go with the session
        foreach (var client in await Task.WhenAll(starts))
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz")).StatusCode);
            client.Dispose();
        }

        // The table held by a session without the migrations' lock: a killed migrate's, still waiting for a lock (its own
        // session, which held the advisory lock, ended with the process), or an operator's. Waited for too, and named.
        await using var orphan = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(database) { ApplicationName = "test orphan", Pooling = false }.ConnectionString);
        await orphan.OpenAsync();
        // (and reads it, as EF's migrating session does: two locks of one session, named once)
        await using (var hold = new NpgsqlCommand("""BEGIN; LOCK TABLE "__EFMigrationsHistory" IN ACCESS EXCLUSIVE MODE; SELECT FROM "__EFMigrationsHistory" LIMIT 0""", orphan))
        {
            await hold.ExecuteNonQueryAsync();
        }

        var afterwards = new CollectingLoggerProvider();
        await using var fourth = new ConfiguredServiceFactory(database, ServiceFixture.RootKeySettings(), services: s => s.AddSingleton<ILoggerProvider>(afterwards));
        var start = Task.Run(fourth.CreateClient);
        var table = $"Waiting for the migrations' history table, which PostgreSQL process {orphan.ProcessID}, application_name 'test orphan' holds";
        deadline = DateTime.UtcNow.AddSeconds(60);
        while (!afterwards.Lines.Any(l => l.Contains(table, StringComparison.Ordinal)) && !start.IsCompleted && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.False(start.IsCompleted, "a start went on, or gave up, while the history table was held: " + start.Exception?.GetBaseException().Message);
        Assert.Contains(afterwards.Lines, l => l.Contains(table, StringComparison.Ordinal));
        await orphan.CloseAsync();
        using var fourthClient = await start;
        Assert.Equal(HttpStatusCode.OK, (await fourthClient.GetAsync("/readyz")).StatusCode);
    }

    [Fact]
    public async Task FirstStart_WithoutBootstrapSettings_MakesAKey_AndWritesTheRootKeyFile()
    {
        var database = await service.Postgres.CreateDatabaseAsync("startup_" + Guid.NewGuid().ToString("N")[..8]);
        var file = Path.Combine(Path.GetTempPath(), $"root-key-{Guid.NewGuid():N}.json");
        // What another user of a shared folder could make before a start: a readable file where the temporary copy was written
        // when its name was the process id (the file was written through it, and renamed over the key file with its mode).
        var planted = $"{file}.{Environment.ProcessId}.tmp";
        await File.WriteAllTextAsync(planted, "planted");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(planted, (UnixFileMode)0b110_110_110);
        }

        try
        {
            await using var factory = new ConfiguredServiceFactory(database, new() { ["Provisioning:Bootstrap:RootKeyFile"] = file });
            using var client = factory.CreateClient();

            var written = JsonNode.Parse(await File.ReadAllTextAsync(file))!;
            client.DefaultRequestHeaders.Authorization = ServiceFixture.BasicHeader((string)written["keyId"]!, (string)written["secret"]!);
            var self = (await client.GetJsonAsync("/v2/tenants/self"))["tenant"]!;
            Assert.Equal((string?)written["tenantId"], (string?)self["id"]);
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            }

            Assert.Equal("planted", await File.ReadAllTextAsync(planted));
            Assert.Equal([file, planted], Directory.GetFiles(Path.GetTempPath(), Path.GetFileName(file) + "*").Order()); // no temporary file left
        }
        finally
        {
            File.Delete(file);
            File.Delete(planted);
        }
    }

    [Fact]
    public async Task ARootKeyFileFromAnEarlierDatabase_IsKeptBesideTheNewOne_NotOverwritten()
    {
        // A probe restored a copy of .data/ without its cluster: the start made a new root in the empty database and wrote
        // its key over the earlier root's, the only copy of it, without a word.
        var database = await service.Postgres.CreateDatabaseAsync("startup_" + Guid.NewGuid().ToString("N")[..8]);
        var folder = Directory.CreateTempSubdirectory("root-key-");
        var file = Path.Combine(folder.FullName, "root-key.json");
        const string earlier = """{ "tenantId": "0123456789abcdef01234567", "keyId": "act_0123456789abcdef01234567", "secret": "the-earlier-secret" }""";
        File.WriteAllText(file, earlier);
        try
        {
            // A start records its URL in the file after the server listens, which may be after CreateClient returns: each
            // step waits for that line before touching the file.
            static async Task UntilSaidAsync(CollectingLoggerProvider said, string text)
            {
                var deadline = DateTime.UtcNow.AddSeconds(30);
                while (!said.Lines.Any(l => l.Contains(text, StringComparison.Ordinal)) && DateTime.UtcNow < deadline)
                {
                    await Task.Delay(20);
                }

                Assert.Contains(said.Lines, l => l.Contains(text, StringComparison.Ordinal));
            }

            var logs = new CollectingLoggerProvider();
            await using var factory = new ConfiguredServiceFactory(database, new() { ["Provisioning:Bootstrap:RootKeyFile"] = file },
                services: s => s.AddSingleton<ILoggerProvider>(logs));
            using var client = factory.CreateClient();
            await UntilSaidAsync(logs, "records the URL");

            var written = JsonNode.Parse(await File.ReadAllTextAsync(file))!;
            Assert.NotEqual("0123456789abcdef01234567", (string?)written["tenantId"]);
            var kept = Assert.Single(Directory.GetFiles(folder.FullName, "root-key.json.replaced-*"));
            Assert.Equal(earlier, await File.ReadAllTextAsync(kept));
            Assert.Single(logs.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal)
                && l.Contains("held the key of root tenant 0123456789abcdef01234567, which this database does not have", StringComparison.Ordinal)
                && l.Contains(kept, StringComparison.Ordinal));
            Assert.DoesNotContain(logs.Lines, l => l.Contains("the-earlier-secret", StringComparison.Ordinal));

            // A later start finds the root: the file stays as it is, nothing else is set aside.
            var againLogs = new CollectingLoggerProvider();
            await using var again = new ConfiguredServiceFactory(database, new() { ["Provisioning:Bootstrap:RootKeyFile"] = file },
                services: s => s.AddSingleton<ILoggerProvider>(againLogs));
            again.CreateClient().Dispose();
            await UntilSaidAsync(againLogs, "records the URL");
            Assert.Single(Directory.GetFiles(folder.FullName, "root-key.json.replaced-*"));
            Assert.Equal((string?)written["secret"], (string?)JsonNode.Parse(await File.ReadAllTextAsync(file))!["secret"]);

            // Another root's file at that path (kept by an operator; read by an instance starting together with the one that
            // made the root, before it was set aside): its URL is not refreshed, so it is never written back over the new one.
            File.WriteAllText(file, earlier);
            var thirdLogs = new CollectingLoggerProvider();
            await using (var third = new ConfiguredServiceFactory(database, new() { ["Provisioning:Bootstrap:RootKeyFile"] = file },
                             services: s => s.AddSingleton<ILoggerProvider>(thirdLogs)))
            {
                third.CreateClient().Dispose();
                await UntilSaidAsync(thirdLogs, "holds the key of root tenant 0123456789abcdef01234567, not of this database's root");
            }

            Assert.Equal(earlier, await File.ReadAllTextAsync(file));

            // A file a deployment made ready (empty, its mode set) holds no root's key: written over, nothing set aside.
            var prepared = Path.Combine(folder.FullName, "prepared.json");
            File.WriteAllText(prepared, "");
            var fresh = await service.Postgres.CreateDatabaseAsync("startup_" + Guid.NewGuid().ToString("N")[..8]);
            await using var onPrepared = new ConfiguredServiceFactory(fresh, new() { ["Provisioning:Bootstrap:RootKeyFile"] = prepared });
            onPrepared.CreateClient().Dispose();
            Assert.StartsWith("act_", (string?)JsonNode.Parse(await File.ReadAllTextAsync(prepared))!["keyId"], StringComparison.Ordinal);
            Assert.Empty(Directory.GetFiles(folder.FullName, "prepared.json.replaced-*"));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task InstancesStartingTogetherOnAnEmptyDatabase_MakeOneRoot_AndEachOneStarts()
    {
        var name = "startup_" + Guid.NewGuid().ToString("N")[..8];
        var database = await service.Postgres.CreateDatabaseAsync(name);
        var instances = new List<ConfiguredServiceFactory>();
        try
        {
            // A migrated database without a root yet: an instance migrates it and bootstraps, then its root goes.
            await using (var migrate = new ConfiguredServiceFactory(database, new()))
            {
                migrate.CreateClient().Dispose();
            }

            await Sql.ExecuteAsync(database, "TRUNCATE tenants, audit_events, audit_event_viewers CASCADE");
            await using var hold = new NpgsqlConnection(database);
            await hold.OpenAsync();
            // Both instances look for a root (reads pass this lock), find none, and wait to insert theirs: the race of
            // instances started together, made certain. Released, one insert goes through; the other meets the
            // single-root index.
            await using var transaction = await hold.BeginTransactionAsync();
            await using (var lockTenants = new NpgsqlCommand("LOCK TABLE tenants IN SHARE MODE", hold, transaction))
            {
                await lockTenants.ExecuteNonQueryAsync();
            }

            var logs = new CollectingLoggerProvider();
            instances.AddRange(Enumerable.Range(0, 2).Select(_ =>
                new ConfiguredServiceFactory(database, new(), services: s => s.AddSingleton<ILoggerProvider>(logs))));
            var starts = instances.Select(i => Task.Run(() => i.CreateClient())).ToList();
            const string waiting = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%INSERT INTO tenants%'";
            // Under Npgsql's 30-s command timeout, which the first INSERT to wait would otherwise meet.
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (await Sql.CountAsync(database, waiting) < 2)
            {
                Assert.True(DateTime.UtcNow < deadline, "the two instances did not both reach the root's INSERT");
                Assert.DoesNotContain(starts, s => s.IsFaulted);
                await Task.Delay(50);
            }

            await transaction.CommitAsync();
            var clients = await Task.WhenAll(starts);

            foreach (var client in clients)
            {
                Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz")).StatusCode);
                client.Dispose();
            }

            Assert.Equal(1, await Sql.CountAsync(database, "SELECT count(*) FROM tenants"));
            Assert.Equal(1, await Sql.CountAsync(database, "SELECT count(*) FROM api_keys"));
            Assert.Equal(1, await Sql.CountAsync(database, "SELECT count(*) FROM audit_events WHERE type = $1", AuditEventType.TenantBootstrapped.WireName()));
            Assert.Single(logs.Lines, l => l.Contains("Created root tenant", StringComparison.Ordinal));
            Assert.Single(logs.Lines, l => l.Contains("exists", StringComparison.Ordinal) && l.Contains("Root tenant", StringComparison.Ordinal));
            Assert.DoesNotContain(logs.Lines, l => l.StartsWith("Error", StringComparison.Ordinal) || l.StartsWith("Critical", StringComparison.Ordinal));
        }
        finally
        {
            foreach (var instance in instances)
            {
                await instance.DisposeAsync();
            }

            await service.Postgres.DropDatabaseAsync(name);
        }
    }

    [Fact]
    public async Task Readyz_Is503WhenTheDatabaseGoesAway_WhileHealthzStays200()
    {
        var name = "startup_" + Guid.NewGuid().ToString("N")[..8];
        var database = await service.Postgres.CreateDatabaseAsync(name);
        await using var factory = new ConfiguredServiceFactory(database, new([ServiceFixture.EveryProbeChecks]));
        using var client = factory.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz")).StatusCode);

        await service.Postgres.DropDatabaseAsync(name);

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/readyz")).StatusCode);
    }

    [Fact]
    public async Task Readyz_IsNotReady_WhenTheStoredSecretsNoLongerDecryptWithTheMasterKey()
    {
        var database = await service.Postgres.CreateDatabaseAsync("startup_" + Guid.NewGuid().ToString("N")[..8]);
        await using var factory = new ConfiguredServiceFactory(database, new([ServiceFixture.EveryProbeChecks]));
        using var client = factory.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz")).StatusCode);

        // As after restoring another installation's data under this master key.
        var otherKey = new Provisioning.Infrastructure.Security.AesGcmSecretProtector(new byte[32]);
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<ProvisioningDbContext>();
            await db.Database.ExecuteSqlInterpolatedAsync($"UPDATE master_key_check SET value = {otherKey.Protect("provisioning-master-key-check-v1", Application.Common.Abstractions.SecretBinding.CheckValue)}");
        }

        using var readyz = await client.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, readyz.StatusCode);
    }

    [Fact]
    public async Task AnInstanceWhoseClockDisagreesWithTheDatabases_SaysSoAtStartAndFromReadyz_OnceAMinute_ButStaysReady()
    {
        // Keys expire, tokens end and ids are made by the instance's clock: one an hour slow let an expired key work for that
        // hour (a probe). Said, not refused (a database host with a wrong clock would take every instance out).
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow.AddHours(-1));
        var logs = new CollectingLoggerProvider();
        var database = await service.Postgres.CreateDatabaseAsync("clock_" + Guid.NewGuid().ToString("N")[..8]);
        await using var behind = new ConfiguredServiceFactory(database, ServiceFixture.RootKeySettings(), clock, s => s.AddSingleton<ILoggerProvider>(logs));
        using var client = behind.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz")).StatusCode);
        var said = logs.Lines.Where(line => line.Contains("This instance's clock is", StringComparison.Ordinal)).ToList();
        var line = Assert.Single(said); // at start; /readyz within the minute says nothing more
        Assert.StartsWith("Warning", line, StringComparison.Ordinal);
        // (an hour, and the seconds since the fake clock was set: the database's creation, the start, the migrations)
        Assert.Matches(@"This instance's clock is 1 h \d+ min \d+ s \(3[67]\d\d s\) behind the database's", line);

        clock.Advance(TimeSpan.FromMinutes(1)); // (past /readyz's reuse of its last answer too)
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz")).StatusCode);
        Assert.Equal(2, logs.Lines.Count(line => line.Contains("This instance's clock is", StringComparison.Ordinal)));

        // The shared instance, on the host's clock, has said nothing of the kind.
        Assert.DoesNotContain(service.Factory.Logs.Lines, line => line.Contains("This instance's clock is", StringComparison.Ordinal));
    }
}

