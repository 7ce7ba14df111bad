using System.Net;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Provisioning.IntegrationTests.Fixtures;
using Provisioning.WebApi.Hosting;
using Provisioning.WebApi.Hosting.Verbs;

namespace Provisioning.IntegrationTests.Hosting;

/// <summary>The operator verbs on the published service: help, exit codes, one-sentence errors, and what they do.</summary>
[Collection(ProcessTestCollection.Name)]
public sealed partial class OperatorCommandsTests(ServiceFixture service)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    /// <summary>How long a verb's process may take to start and reach its statement (a held row's wait is for in-process requests).</summary>
    private static readonly TimeSpan VerbStart = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The published service in a process of its own, as an operator runs it: for exit codes, the service's log lines on
    /// standard error, and the service's start.
    /// </summary>
    private static async Task<(int ExitCode, string Out, string Error)> RunAsync(Dictionary<string, string?> environment, params string[] args)
    {
        await using var process = ServiceProcess.Start(environment, args);
        var exit = await process.WaitForExitAsync(Timeout);
        return (exit, process.StandardOutput, process.StandardError);
    }

    /// <summary>A verb in the test's process (<see cref="InProcessVerb"/>): what it answers and says, at a fraction of a process's cost.</summary>
    private static Task<(int ExitCode, string Out, string Error)> RunInProcessAsync(Dictionary<string, string?> environment, params string[] args) =>
        InProcessVerb.RunAsync(environment, args);

    [Fact]
    public async Task Help_ListsEveryVerb_AndUsageErrorsAreOneLineWithExitCode1()
    {
        var (exit, output, _) = await RunAsync([], "--help");
        Assert.Equal(0, exit);
        foreach (var verb in new[] { "migrate", "healthcheck", "rotate-secrets", "create-account-key", "delete-tenant", "tenants", "erase-address" })
        {
            Assert.Contains(verb, output);
        }

        var (missing, _, error) = await RunAsync([], "create-account-key");
        Assert.Equal(1, missing);
        Assert.Contains("Option '--tenant' is required.", error);

        var (unreachable, _, down) = await RunAsync(new()
        {
            ["ConnectionStrings__Provisioning"] = "Host=127.0.0.1;Port=1;Database=x;Username=postgres;Timeout=3",
            ["Provisioning__Secrets__MasterKey"] = ServiceFixture.MasterKey,
        }, "tenants");
        Assert.Equal(1, unreachable);
        Assert.Contains("PostgreSQL cannot be reached", down);
        Assert.DoesNotContain("   at ", down);
    }

    [Fact]
    public async Task Version_NamesTheCommitTheBuildIsFrom_AndThatCommitsDateFromGit()
    {
        // The upgrade notes name builds by date: --version gives the commit and its date, taken from the clone the build ran in.
        var informational = typeof(BuildVersion).Assembly
            .GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .Cast<System.Reflection.AssemblyInformationalVersionAttribute>().Single().InformationalVersion;
        var (exit, output, _) = await RunAsync([], "--version");
        Assert.Equal(0, exit);

        if (informational.Split('+') is [_, var commit])
        {
            // The date as git tells it for that very commit (not HEAD's: a commit made since the build must not matter).
            using var git = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("git", ["show", "-s", "--format=%cI", commit])
            {
                WorkingDirectory = NodeProject.RepositoryPath(),
                RedirectStandardOutput = true,
            })!;
            var committed = DateTimeOffset.Parse((await git.StandardOutput.ReadToEndAsync()).Trim(), System.Globalization.CultureInfo.InvariantCulture);
            await git.WaitForExitAsync();
            Assert.Matches("^[0-9a-f]{40}$", commit);
            Assert.Equal($"{informational} (committed {committed.UtcDateTime:yyyy-MM-dd HH:mm} UTC)", output.Trim());
        }
        else
        {
            // Built from a source archive or a container build without its build arguments: said, not left blank.
            Assert.Equal($"{informational} (built without its git history: no commit recorded)", output.Trim());
        }
    }

    [Fact]
    public void BuildVersion_SaysWhatWasRecorded_AndWhatWasNot()
    {
        Assert.Equal("1.0.0+abc (committed 2026-12-06 13:55 UTC)", BuildVersion.Describe("1.0.0+abc", "2026-12-06T15:55:02+02:00"));
        Assert.Equal("1.0.0+abc (commit date not recorded)", BuildVersion.Describe("1.0.0+abc", null));
        Assert.Equal("1.0.0+abc (commit date not recorded)", BuildVersion.Describe("1.0.0+abc", "yesterday"));
        Assert.Equal("1.0.0 (built without its git history: no commit recorded)", BuildVersion.Describe("1.0.0", "2026-12-06T15:55:02Z"));
    }

    [Fact]
    public async Task WithASessionString_AVerbWorksOnIt_AndARefusalThereNamesIt()
    {
        // ConnectionStrings:ProvisioningSession is set when ConnectionStrings:Provisioning goes through a pooler in
        // transaction mode: a verb's one long unit of work (its session's lifted timeouts, a rotation's lock) goes there.
        const string unreachable = "Host=127.0.0.1;Port=1;Database=x;Username=postgres;Timeout=3";
        var (exit, output, _) = await RunInProcessAsync(new()
        {
            ["ConnectionStrings__Provisioning"] = unreachable,
            ["ConnectionStrings__ProvisioningSession"] = service.ConnectionString,
            ["Provisioning__Secrets__MasterKey"] = ServiceFixture.MasterKey,
        }, "tenants");
        Assert.Equal(0, exit);
        var rootId = await service.QueryDbAsync(db => db.Tenants.Where(t => t.ParentId == null).Select(t => t.Id.Value).SingleAsync());
        Assert.Contains(rootId, output);

        // Refused there, by a verb and by the service's start (whose listener and migrations' lock need it).
        foreach (var args in new[] { new[] { "tenants" }, ["--urls", "http://127.0.0.1:0"] })
        {
            var (refused, _, error) = await InProcessVerb.RunOrStartAsync(new Dictionary<string, string?>
            {
                ["ConnectionStrings__Provisioning"] = service.ConnectionString,
                ["ConnectionStrings__ProvisioningSession"] = unreachable,
                ["Provisioning__Secrets__MasterKey"] = ServiceFixture.MasterKey,
            }, Timeout, args);
            Assert.Equal(1, refused);
            Assert.Contains("PostgreSQL cannot be reached at 127.0.0.1:1, database 'x' (ConnectionStrings:ProvisioningSession)", error);
        }
    }

    [Fact]
    public async Task ADatabaseThatDoesNotExist_IsNeverCreated_NotByMigrateNorByTheServicesStart()
    {
        // A misspelt name made a new database, a new root tenant and a healthy, empty service (a probe).
        var name = "misspelt_" + Guid.NewGuid().ToString("N")[..8];
        var missing = new Npgsql.NpgsqlConnectionStringBuilder(service.Postgres.ConnectionString) { Database = name }.ConnectionString;
        var environment = new Dictionary<string, string?>
        {
            ["ConnectionStrings__Provisioning"] = missing,
            ["Provisioning__Secrets__MasterKey"] = ServiceFixture.MasterKey,
        };

        foreach (var args in new[] { new[] { "migrate" }, ["tenants"], ["--urls", "http://127.0.0.1:0"] })
        {
            var (exit, _, error) = await InProcessVerb.RunOrStartAsync(environment, Timeout, args);
            Assert.Equal(1, exit);
            Assert.Contains("does not exist", error);
            Assert.Contains("never creates one", error);
            Assert.DoesNotContain("   at ", error);
        }

        await using var connection = new Npgsql.NpgsqlConnection(service.Postgres.ConnectionString);
        await connection.OpenAsync();
        await using var exists = new Npgsql.NpgsqlCommand($"SELECT count(*) FROM pg_database WHERE datname = '{name}'", connection);
        Assert.Equal(0L, (long)(await exists.ExecuteScalarAsync())!);
    }

    [Theory]
    [InlineData("LATIN1")]
    [InlineData("SQL_ASCII")]
    public async Task ADatabaseNotInUtf8_IsRefusedInOneSentence_BeforeAnyMigrationWritesToIt(string encoding)
    {
        // One in LATIN1 applied the first migrations, then failed one, blamed on rows or a schema changed by hand (a probe).
        var name = "encoded_" + Guid.NewGuid().ToString("N")[..8];
        await Sql.ExecuteAsync(service.Postgres.ConnectionString,
            $"CREATE DATABASE {name} ENCODING '{encoding}' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0");
        var database = new Npgsql.NpgsqlConnectionStringBuilder(service.Postgres.ConnectionString) { Database = name }.ConnectionString;
        var environment = new Dictionary<string, string?>
        {
            ["ConnectionStrings__Provisioning"] = database,
            ["Provisioning__Secrets__MasterKey"] = ServiceFixture.MasterKey,
        };

        foreach (var args in new[] { new[] { "migrate" }, ["tenants"], ["--urls", "http://127.0.0.1:0"] })
        {
            var (exit, _, error) = await InProcessVerb.RunOrStartAsync(environment, Timeout, args);
            Assert.Equal(1, exit);
            Assert.Contains($"The database {name} is encoded {encoding}", error);
            Assert.Contains("it needs a UTF8 database. This start wrote nothing to it.", error);
            Assert.DoesNotContain("   at ", error);
        }

        Assert.Equal(0, await Sql.CountAsync(database, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"));
    }

    [Fact]
    public async Task TwoMigratesAtOnceOnAnEmptyDatabase_BothSucceed_AndApplyEachMigrationOnce()
    {
        // Both saw every migration pending and both applied them: one died on "column … already exists" (a probe).
        var database = await service.Postgres.CreateDatabaseAsync("verbs_" + Guid.NewGuid().ToString("N")[..8]);
        var environment = new Dictionary<string, string?>
        {
            ["ConnectionStrings__Provisioning"] = database,
            ["Provisioning__Secrets__MasterKey"] = ServiceFixture.MasterKey,
        };

        // (In this process, each with its own service and sessions, started together: a process of its own takes 2 s to start,
        // and by then the others have finished.)
        var runs = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Task.Run(() => RunInProcessAsync(environment, "migrate"))));

        Assert.All(runs, r => Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}: {r.Error}"));
        Assert.All(runs, r => Assert.DoesNotContain("   at ", r.Error));
        // One applied them all and said so in its log (the others found none pending once they had the migrations' lock).
        Assert.Single(runs, r => r.Error.Contains("Applying ", StringComparison.Ordinal));
        Assert.Equal(0, (await RunInProcessAsync(environment, "tenants")).ExitCode);
    }

    [Fact]
    public async Task MigrateCreateAccountKeyAndTenants_WorkOnTheServicesDatabase()
    {
        var database = await service.Postgres.CreateDatabaseAsync("verbs_" + Guid.NewGuid().ToString("N")[..8]);
        var environment = new Dictionary<string, string?>
        {
            ["ConnectionStrings__Provisioning"] = database,
            ["Provisioning__Secrets__MasterKey"] = ServiceFixture.MasterKey,
        };

        // Asked what it would apply (an operator choosing between a rolling upgrade and stopping every instance): every
        // migration of this build, oldest first, one per line, and nothing applied.
        var all = await service.QueryDbAsync(db => Task.FromResult(
            Microsoft.EntityFrameworkCore.RelationalDatabaseFacadeExtensions.GetMigrations(db.Database).ToList()));
        var (listed, pendingOutput, pendingNote) = await RunInProcessAsync(environment, "migrate", "--pending");
        Assert.Equal(0, listed);
        Assert.Equal(all, pendingOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.Contains($"{all.Count} migration(s) pending", pendingNote);
        Assert.Equal(0, await Sql.CountAsync(database, "SELECT count(*) FROM pg_tables WHERE tablename = 'tenants'"));

        // Standard output is the verb's answer alone; the service's log lines (the migrations applied) go to standard error.
        var (migrated, migrateOutput, migrateLog) = await RunAsync(environment, "migrate");
        Assert.Equal(0, migrated);
        Assert.Equal("The database is migrated.", migrateOutput.Trim());
        Assert.Contains("Applying", migrateLog);
        var (listedAfter, nothingPending, migratedNote) = await RunInProcessAsync(environment, "migrate", "--pending");
        Assert.Equal(0, listedAfter);
        Assert.Equal(string.Empty, nothingPending.Trim());
        Assert.Contains("no migration is pending", migratedNote);

        // No root yet: the tree says so on standard error, and prints nothing a script would take for a tenant.
        var (emptyTree, emptyOutput, emptyNote) = await RunInProcessAsync(environment, "tenants");
        Assert.Equal(0, emptyTree);
        Assert.Equal(string.Empty, emptyOutput.Trim());
        Assert.Contains("no tenants yet", emptyNote);

        // No root yet (the service was never started): 'root' is not found, said in one line with why, by every verb
        // that names a tenant (the tree's subtree too: not "not found" where the whole tree says "no tenants yet").
        foreach (var verb in new[] { new[] { "create-account-key", "--tenant", "root" }, ["tenants", "--under", "root"], ["delete-tenant", "--tenant", "root"] })
        {
            var (noRoot, noRootOutput, notFound) = await RunInProcessAsync(environment, verb);
            Assert.Equal(1, noRoot);
            Assert.Equal(string.Empty, noRootOutput.Trim());
            // The operator's words back (which one was not found), and why.
            Assert.Equal("Provisioning: Tenant 'root' not found: there are no tenants yet; the root tenant is created when the service first starts.", notFound.Trim());
        }

        // Start the service once so the root exists, then recover "a lost root key".
        environment["Provisioning__Bootstrap__KeyId"] = ServiceFixture.RootKeyId;
        environment["Provisioning__Bootstrap__Secret"] = ServiceFixture.RootSecret;
        await using (var factory = new ConfiguredServiceFactory(database, ServiceFixture.RootKeySettings()))
        {
            using var root = factory.CreateClient();
            root.DefaultRequestHeaders.Authorization = ServiceFixture.BasicHeader(ServiceFixture.RootKeyId, ServiceFixture.RootSecret);
            var customerA = await root.ProvisionAsync(name: "Customer A");
            using (var asCustomerA = factory.ClientOf(customerA))
            {
                await asCustomerA.ProvisionAsync(name: "Franchise A1");
            }

            var (exit, output, _) = await RunAsync(environment, "create-account-key", "--tenant", "root");
            Assert.Equal(0, exit);
            Assert.Equal(3, output.Trim().Split('\n').Length); // tenantId, keyId, secret: no log line nor note among them
            var keyId = KeyIdLine().Match(output).Groups[1].Value;
            var secret = SecretLine().Match(output).Groups[1].Value;
            using var recovered = factory.CreateClient();
            recovered.DefaultRequestHeaders.Authorization = ServiceFixture.BasicHeader(keyId, secret);
            Assert.Equal(HttpStatusCode.OK, (await recovered.GetAsync("/v2/tenants/self")).StatusCode);

            // The audit trail says who made the key: the operator, not a key; and it began with the bootstrap.
            var events = (await recovered.GetJsonAsync("/v2/events?filter[type]=accountKey.created"))["events"]!.AsArray();
            var made = Assert.Single(events, e => (string?)e!["resource"]!["id"] == keyId)!;
            Assert.Equal("operator", (string?)made["actor"]!["kind"]);
            Assert.Null(made["actor"]!["keyId"]);
            var bootstrapped = (await recovered.GetJsonAsync("/v2/events?filter[type]=tenant.bootstrapped"))["events"]!.AsArray();
            Assert.Equal(ServiceFixture.RootKeyId, (string?)Assert.Single(bootstrapped)!["related"]!["id"]);

            // A key of a suspended tenant is made (for once it is resumed), and the operator is told it cannot be used yet:
            // it printed the secret and exit 0 alone, for a key that answered 403 to everything.
            var customer = await root.ProvisionAsync(name: "Customer B");
            await root.PatchJsonAsync($"/v2/tenants/{customer.Id}", new { status = "suspended" });
            var (suspendedExit, suspendedOutput, note) = await RunInProcessAsync(environment, "create-account-key", "--tenant", customer.Id);
            Assert.Equal(0, suspendedExit);
            Assert.Contains($"tenant {customer.Id} or one of its ancestors is suspended", note);
            using var ofSuspended = factory.CreateClient();
            ofSuspended.DefaultRequestHeaders.Authorization = ServiceFixture.BasicHeader(
                KeyIdLine().Match(suspendedOutput).Groups[1].Value, SecretLine().Match(suspendedOutput).Groups[1].Value);
            using var refused = await ofSuspended.GetAsync("/v2/tenants/self");
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.DoesNotContain("suspended", (await RunInProcessAsync(environment, "create-account-key", "--tenant", "root")).Error);

            // A name that starts with '@' is that name, also with a file of that name where the verb runs (the parser read
            // it as a response file: "Response file not found", or the file's words as arguments).
            var atName = "@ops-" + Guid.NewGuid().ToString("N")[..8];
            var spliced = Path.Combine(Path.GetTempPath(), atName[1..]); // (ServiceProcess runs verbs in the temp folder)
            await File.WriteAllTextAsync(spliced, "--name\nspliced");
            try
            {
                var (atExit, _, atError) = await RunAsync(environment, "create-account-key", "--tenant", "root", "--name", atName);
                Assert.True(atExit == 0, atError);
            }
            finally
            {
                File.Delete(spliced);
            }

            Assert.Equal(1, await Sql.CountAsync(database, $"SELECT count(*) FROM api_keys WHERE display_name = '{atName}'"));

            // A name the key rules refuse is said in the verb's terms (it was "displayName must not be blank").
            var (blankExit, _, blank) = await RunInProcessAsync(environment, "create-account-key", "--tenant", "root", "--name", " ");
            Assert.Equal(1, blankExit);
            Assert.Equal("Provisioning: --name must not be blank.", blank.Trim());
        }

        var (treeExit, tree, _) = await RunInProcessAsync(environment, "tenants");
        Assert.Equal(0, treeExit);
        Assert.Contains("Root  [", tree);
        Assert.Contains("  Customer A  [", tree);
        Assert.Contains("active", tree);
        // Who holds a suspension, which only it or a tenant above it may lift (Customer B's: the root's).
        var rootId = Regex.Match(tree, @"^Root  \[([0-9a-f]{24})\]").Groups[1].Value;
        Assert.Matches($@"\n  Customer B  \[[0-9a-f]{{24}}\]  suspended by \[{rootId}\]  ", tree);

        // One customer's subtree, indented from it (a tree of thousands of tenants printed whole to find one).
        var customerAId = Regex.Match(tree, @"Customer A  \[([0-9a-f]{24})\]").Groups[1].Value;
        Assert.Contains("    Franchise A1  [", tree);
        var (underExit, subtree, _) = await RunInProcessAsync(environment, "tenants", "--under", customerAId);
        Assert.Equal(0, underExit);
        Assert.StartsWith($"Customer A  [{customerAId}]  active", subtree.Trim());
        Assert.Contains("\n  Franchise A1  [", subtree);
        Assert.DoesNotContain("Root", subtree);
        Assert.DoesNotContain("Customer B", subtree);
        var (unknownExit, unknownOutput, unknown) = await RunInProcessAsync(environment, "tenants", "--under", "ffffffffffffffffffffffff");
        Assert.Equal(1, unknownExit);
        Assert.Equal(string.Empty, unknownOutput.Trim());
        Assert.Contains("Tenant 'ffffffffffffffffffffffff' not found", unknown);

        Assert.Equal(3, await Sql.CountAsync(database, "SELECT count(*) FROM api_keys WHERE display_name = 'Operator key'")); // the three that succeeded
    }

    [Fact]
    public async Task DeleteTenant_DeletesASubtreeAsTheApiDoes_ByTheOperator_ButNeverTheRoot()
    {
        // For a customer too large to delete within the API's 30 s a statement (docs/operations.md "Delete a large customer").
        var database = await service.Postgres.CreateMigratedDatabaseAsync("delete_" + Guid.NewGuid().ToString("N")[..8]);
        var environment = new Dictionary<string, string?>
        {
            ["ConnectionStrings__Provisioning"] = database,
            ["Provisioning__Secrets__MasterKey"] = ServiceFixture.MasterKey,
        };
        await using var factory = new ConfiguredServiceFactory(database, ServiceFixture.RootKeySettings());
        using var root = await factory.CreateRootClientAsync();
        var rootId = (string)(await root.GetJsonAsync("/v2/tenants/self"))["tenant"]!["id"]!;
        // A reseller with a budget, the customer leaving under it: its deletion gives the reseller's budget back.
        var reseller = await root.ProvisionAsync(name: "Reseller");
        await root.PatchJsonAsync($"/v2/tenants/{reseller.Id}", new { maxApps = 10_000 });
        using var asReseller = factory.ClientOf(reseller);
        var leaving = await asReseller.ProvisionAsync(name: "Leaving");
        var staying = await root.ProvisionAsync(name: "Staying");
        using var asLeaving = factory.ClientOf(leaving);
        var below = await asLeaving.ProvisionAsync(name: "Leaving A1");
        await asLeaving.CreateAppAsync("its app");
        using var asBelow = factory.ClientOf(below);
        Assert.Equal(HttpStatusCode.OK, (await asBelow.GetAsync("/v2/tenants/self")).StatusCode); // its key cached by the instance

        var (rootExit, _, rootRefused) = await RunInProcessAsync(environment, "delete-tenant", "--tenant", rootId);
        Assert.Equal(1, rootExit);
        Assert.Equal("Provisioning: The root tenant cannot be deleted.", rootRefused.Trim());
        Assert.Contains("The root tenant cannot be deleted.", (await RunInProcessAsync(environment, "delete-tenant", "--tenant", "root")).Error);
        var (unknownExit, _, unknown) = await RunInProcessAsync(environment, "delete-tenant", "--tenant", "ffffffffffffffffffffffff");
        Assert.Equal(1, unknownExit);
        Assert.Contains("Tenant 'ffffffffffffffffffffffff' not found", unknown);

        // Past a limit the operator set (the deleted apps pass through a temporary file beyond work_mem): the remedy said,
        // not "cannot be reached", and nothing deleted.
        await Sql.ExecuteAsync(database, Sql.InsertAppsSql($"VALUES ('{below.Id}')", 3000));
        await root.PatchJsonAsync($"/v2/tenants/{reseller.Id}", new { maxApps = 10_000 }); // SQL keeps no budget: set again, it recounts
        Assert.Equal(3001, await Sql.CountAsync(database, "SELECT subtree_apps FROM tenants WHERE id = $1", reseller.Id));
        var limited = new Dictionary<string, string?>(environment)
        {
            ["ConnectionStrings__Provisioning"] = database + ";Options=-c work_mem=64kB -c temp_file_limit=64kB",
        };
        var (limitExit, _, limit) = await RunInProcessAsync(limited, "delete-tenant", "--tenant", leaving.Id);
        Assert.Equal(1, limitExit);
        Assert.Contains("PostgreSQL refused the work for want of a resource", limit);
        Assert.Contains("53400", limit);
        Assert.Equal(3001, await Sql.CountAsync(database, "SELECT count(*) FROM apps WHERE tenant_id = ANY(ARRAY[$1, $2]::text[])", leaving.Id, below.Id));

        // No time limit, whatever the connection string and the server say: here 1 s for a command (Npgsql), 1 s for a
        // statement and 0.5 s for a lock (the server), against a reseller's budget row held 3 s by another transaction
        // (the release waits for it) and an audit event that takes 1.5 s to write (with the COMMIT).
        var timeouts = new Dictionary<string, string?>(environment)
        {
            ["ConnectionStrings__Provisioning"] = database + ";Command Timeout=1;Options=-c statement_timeout=1000 -c lock_timeout=500",
        };
        await Sql.ExecuteAsync(database, """
            CREATE FUNCTION slow_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(1.5); RETURN NEW; END $$;
            CREATE TRIGGER slow_audit BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION slow_audit();
            """);
        await using var holder = new Npgsql.NpgsqlConnection(database);
        await holder.OpenAsync();
        var holding = await holder.BeginTransactionAsync();
        await using (var hold = new Npgsql.NpgsqlCommand("SELECT 1 FROM tenants WHERE id = $1 FOR NO KEY UPDATE", holder, holding))
        {
            hold.Parameters.Add(new Npgsql.NpgsqlParameter { Value = reseller.Id });
            await hold.ExecuteScalarAsync();
        }

        var released = Task.Delay(3000).ContinueWith(_ => holding.CommitAsync(), TaskScheduler.Default).Unwrap();
        var (exit, output, log) = await RunAsync(timeouts, "delete-tenant", "--tenant", leaving.Id);
        await released;
        await Sql.ExecuteAsync(database, "DROP TRIGGER slow_audit ON audit_events; DROP FUNCTION slow_audit()");
        Assert.True(exit == 0, log);
        // Said first, on standard error: which customer, and how much goes with it (its own app and the 3,000 below).
        Assert.Contains($"Provisioning: deleting {leaving.Id} (Leaving) with 1 tenant(s) under it and 3001 app(s) in all; Ctrl-C cancels.", log);
        Assert.StartsWith($"deleted: {leaving.Id} (Leaving) and everything under it, in ", output.Trim());
        Assert.Equal(0, await Sql.CountAsync(database, "SELECT subtree_apps FROM tenants WHERE id = $1", reseller.Id));
        Assert.DoesNotContain("not confirmed", log); // no instance's listener in the verb's process to wait for, and no warning

        // Gone with everything under it, its keys refused by the running instance (the notices come with the commit; the
        // instance applies them within moments, which the loop allows for), the other customer untouched, the operator on
        // record.
        var refused = HttpStatusCode.OK;
        for (var tries = 0; tries < 50 && refused != HttpStatusCode.Unauthorized; tries++)
        {
            refused = (await asBelow.GetAsync("/v2/tenants/self")).StatusCode;
            await Task.Delay(refused == HttpStatusCode.Unauthorized ? 0 : 100);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, refused);
        Assert.Equal(HttpStatusCode.NotFound, (await root.GetAsync($"/v2/tenants/{leaving.Id}")).StatusCode);
        Assert.Equal(0, await Sql.CountAsync(database, "SELECT count(*) FROM tenants WHERE path && ARRAY[$1]::text[]", leaving.Id));
        Assert.Equal(0, await Sql.CountAsync(database, "SELECT count(*) FROM apps WHERE tenant_id = ANY(ARRAY[$1, $2]::text[])", leaving.Id, below.Id));
        Assert.Equal(HttpStatusCode.OK, (await root.GetAsync($"/v2/tenants/{staying.Id}")).StatusCode);
        var deleted = Assert.Single((await root.GetJsonAsync("/v2/events?filter[type]=tenant.deleted"))["events"]!.AsArray())!;
        Assert.Equal(leaving.Id, (string?)deleted["resource"]!["id"]);
        Assert.Equal("operator", (string?)deleted["actor"]!["kind"]);
        Assert.Equal(reseller.Id, (string?)deleted["tenantId"]); // filed under its parent
    }

    [Fact]
    public async Task EraseAddress_GivesAFormerUsersEventsAPseudonym_DeletesStoredAnswersNamingIt_AndRefusesWhileItIsAUser()
    {
        // A person asks to be forgotten: the trail named them by address for a year (docs/operations.md "Personal data").
        var database = await service.Postgres.CreateMigratedDatabaseAsync("erase_" + Guid.NewGuid().ToString("N")[..8]);
        var environment = new Dictionary<string, string?>
        {
            ["ConnectionStrings__Provisioning"] = database,
            ["Provisioning__Secrets__MasterKey"] = ServiceFixture.MasterKey,
        };
        await using var factory = new ConfiguredServiceFactory(database, ServiceFixture.RootKeySettings());
        using var root = await factory.CreateRootClientAsync();
        var customer = await root.ProvisionAsync(name: "Customer");
        foreach (var (email, key) in new[] { ("Ann.Lee+x@Example.com", "add-ann"), ("bob@example.com", "add-bob") })
        {
            using var add = new HttpRequestMessage(HttpMethod.Post, $"/v2/tenants/{customer.Id}/users") { Content = Http.Json(new { email }) };
            add.Headers.Add("Idempotency-Key", key);
            using var added = await root.SendAsync(add);
            Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        }

        const string ann = "ann.lee+x@example.com";
        // Bad input: no address (spaces only), or none given at all: one sentence, exit code 1, nothing erased.
        var (blankExit, blankOut, blank) = await RunInProcessAsync(environment, "erase-address", "--email", "  ");
        Assert.Equal((1, string.Empty, "Provisioning: --email is empty: give the address to erase."), (blankExit, blankOut, blank.Trim()));
        var (missingExit, _, missing) = await RunInProcessAsync(environment, "erase-address");
        Assert.Equal(1, missingExit);
        Assert.Contains("Option '--email' is required.", missing);
        var annsEvents = "SELECT count(*) FROM audit_events WHERE resource_id = $1";
        var (refusedExit, refusedOut, refused) = await RunInProcessAsync(environment, "erase-address", "--email", ann);
        Assert.Equal(1, refusedExit);
        Assert.StartsWith($"Provisioning: The address is still a user of tenant(s) {customer.Id}: remove it there first", refused.Trim());
        Assert.EndsWith("Nothing was erased.", refused.Trim());
        Assert.Empty(refusedOut);
        Assert.Equal(1, await Sql.CountAsync(database, annsEvents, ann));

        var annsPath = $"/v2/tenants/{customer.Id}/users/{Uri.EscapeDataString(ann)}";
        Assert.Equal(HttpStatusCode.OK, (await root.DeleteAsync(annsPath)).StatusCode);

        // PostgreSQL ending the verb's session half-way (a restart, an administrator; here while its renaming waits for a
        // lock, after it deleted the stored answer): one sentence, and nothing erased — the stored answer is back.
        await using (var held = await HeldRow.BeginAsync(database))
        {
            await held.ExecuteAsync($"SELECT 1 FROM audit_events WHERE resource_id = '{ann}' FOR UPDATE");
            var ending = RunInProcessAsync(environment, "erase-address", "--email", ann);
            await held.UntilWaitingAsync(1, within: TimeSpan.FromSeconds(60));
            Assert.Equal(1, await Sql.CountAsync(database, """
                WITH waiting AS MATERIALIZED (SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock')
                SELECT count(*) FROM waiting WHERE pg_terminate_backend(pid)
                """));
            var (endedExit, endedOutput, ended) = await ending;
            Assert.Equal(1, endedExit);
            Assert.Empty(endedOutput);
            Assert.Contains("Provisioning: PostgreSQL ended the session at ", ended);
            Assert.Contains("The transaction under way was rolled back unless it was committing; once the server is back, run it again.", ended);
            Assert.DoesNotContain("   at ", ended);
        }

        Assert.Equal(2, await Sql.CountAsync(database, annsEvents, ann));
        Assert.Equal(1, await Sql.CountAsync(database, "SELECT count(*) FROM idempotency_records WHERE key = 'add-ann'"));

        // Added again while the erasure runs (its renaming held up by a lock on one of her events, the new one's event
        // committed before the renaming starts): the check after the writes refuses it all.
        await using (var held = await HeldRow.BeginAsync(database))
        {
            await held.ExecuteAsync($"SELECT 1 FROM audit_events WHERE resource_id = '{ann}' FOR UPDATE");
            var racing = RunInProcessAsync(environment, "erase-address", "--email", ann);
            await held.UntilWaitingAsync(1, within: TimeSpan.FromSeconds(60));
            await root.PostJsonAsync($"/v2/tenants/{customer.Id}/users", new { email = ann }, HttpStatusCode.Created);
            await held.ReleaseAsync();
            var (racedExit, _, raced) = await racing;
            Assert.Equal(1, racedExit);
            Assert.StartsWith($"Provisioning: The address is still a user of tenant(s) {customer.Id}", raced.Trim());
        }

        Assert.Equal(3, await Sql.CountAsync(database, annsEvents, ann));
        Assert.Equal(HttpStatusCode.OK, (await root.DeleteAsync(annsPath)).StatusCode);

        // Added and removed again meanwhile: no user when it checks again, but events the renaming did not see.
        await using (var held = await HeldRow.BeginAsync(database))
        {
            await held.ExecuteAsync($"SELECT 1 FROM audit_events WHERE resource_id = '{ann}' FOR UPDATE");
            var racing = RunInProcessAsync(environment, "erase-address", "--email", ann);
            await held.UntilWaitingAsync(1, within: TimeSpan.FromSeconds(60));
            await root.PostJsonAsync($"/v2/tenants/{customer.Id}/users", new { email = ann }, HttpStatusCode.Created);
            Assert.Equal(HttpStatusCode.OK, (await root.DeleteAsync(annsPath)).StatusCode);
            await held.ReleaseAsync();
            var (racedExit, _, raced) = await racing;
            Assert.Equal(1, racedExit);
            Assert.Contains("The address's events changed while it was being erased (a user added or removed meanwhile): nothing was erased", raced);
        }

        Assert.Equal(6, await Sql.CountAsync(database, annsEvents, ann));
        var (exit, output, error) = await RunInProcessAsync(environment, "erase-address", "--email", " ANN.Lee+X@example.COM ");
        Assert.True(exit == 0, error);
        var pseudonym = System.Text.RegularExpressions.Regex.Match(output,
            "^erased: 6 event\\(s\\) now name (erased_[0-9a-f]{16}), and a tenantUser.erased event says so in 1 tenant\\(s\\); 1 stored answer\\(s\\) deleted").Groups[1].Value;
        Assert.NotEmpty(pseudonym);
        Assert.DoesNotContain("ann", output + error, StringComparison.OrdinalIgnoreCase); // (its output may go to a ticket or a log)

        Assert.Equal(0, await Sql.CountAsync(database, annsEvents, ann));
        Assert.Equal(0, await Sql.CountAsync(database, "SELECT count(*) FROM idempotency_records WHERE key = 'add-ann'"));
        Assert.Equal(1, await Sql.CountAsync(database, annsEvents, "bob@example.com")); // another user's, untouched
        Assert.Equal(1, await Sql.CountAsync(database, "SELECT count(*) FROM idempotency_records WHERE key = 'add-bob'"));
        // The history stays one resource's, readable as before, under the pseudonym; and the trail says it was changed, by the
        // operator, in the tenant whose events these are (seen by it and its ancestors).
        var events = (await root.GetJsonAsync($"/v2/events?filter[resourceId]={pseudonym}"))["events"]!.AsArray();
        Assert.Equal(["tenantUser.added", "tenantUser.removed", "tenantUser.added", "tenantUser.removed", "tenantUser.added", "tenantUser.removed", "tenantUser.erased"],
            events.Select(e => (string)e!["type"]!));
        var erasure = events[^1]!;
        Assert.Equal(("operator", customer.Id, "tenant", customer.Id),
            ((string?)erasure["actor"]!["kind"], (string?)erasure["tenantId"], (string?)erasure["related"]?["type"], (string?)erasure["related"]?["id"]));
        using var asCustomer = factory.ClientOf(customer);
        Assert.Equal("tenantUser.erased", (string?)(await asCustomer.GetJsonAsync($"/v2/events?filter[resourceId]={pseudonym}"))["events"]!.AsArray()[^1]!["type"]);

        // A user of a tenant deleted since: its events outlive it, read by its ancestors, who read their erasure too.
        var gone = await root.ProvisionAsync(name: "Gone");
        await root.PostJsonAsync($"/v2/tenants/{gone.Id}/users", new { email = "cy@example.com" }, HttpStatusCode.Created);
        Assert.Equal(HttpStatusCode.OK, (await root.DeleteAsync($"/v2/tenants/{gone.Id}")).StatusCode);
        var (goneExit, goneOutput, goneError) = await RunInProcessAsync(environment, "erase-address", "--email", "cy@example.com");
        Assert.True(goneExit == 0, goneError);
        var cy = System.Text.RegularExpressions.Regex.Match(goneOutput, "^erased: 1 event\\(s\\) now name (erased_[0-9a-f]{16}), and a tenantUser.erased event says so in 1 tenant").Groups[1].Value;
        Assert.NotEmpty(cy);
        Assert.Equal(["tenantUser.added", "tenantUser.erased"],
            (await root.GetJsonAsync($"/v2/events?filter[resourceId]={cy}"))["events"]!.AsArray().Select(e => (string)e!["type"]!));

        // Again, or an address nothing names: said as nothing, not as an erasure; no address at all is the mistake it is.
        var (again, nothing, _) = await RunInProcessAsync(environment, "erase-address", "--email", ann);
        Assert.Equal((0, "erased: nothing; no event and no stored answer name this address (compared in any case: check it if one was expected)"),
            (again, nothing.Trim()));
        var (mistyped, mistypedOutput, mistypedError) = await RunInProcessAsync(environment, "erase-address", "--email", "ann-at-example.com");
        Assert.Equal((1, string.Empty), (mistyped, mistypedOutput));
        Assert.Contains("Provisioning: --email is not an email address, and no event or stored answer names it: nothing was erased.", mistypedError);
        Assert.DoesNotContain("An address was erased", mistypedError);
    }

    [Fact]
    public async Task AVerbStoppedByASignal_SaysAtOnceWhatBecameOfItsWork_LeavesNothingHalfDone_AndExits1()
    {
        // An operator's Ctrl-C (here SIGTERM, handled the same way) in the middle of a verb's one long statement, held up
        // by a row another session locks, so that the signal surely comes while it runs.
        var (database, environment, leaving, appId) = await DatabaseWithACustomerAsync("signal");

        // delete-tenant: the deletion rolled back, the tenant and its app still there, and the verb says so.
        await using (var held = await HeldRow.LockAsync(database, "tenants", leaving.Id))
        {
            await using var deletion = ServiceProcess.Start(environment, "delete-tenant", "--tenant", leaving.Id);
            await held.UntilWaitingAsync(1, VerbStart);
            await deletion.StopAsync();
            Assert.Equal(1, await deletion.WaitForExitAsync(Timeout));
            Assert.Equal(string.Empty, deletion.StandardOutput.Trim());
            Assert.Contains("Provisioning: cancelling: the deletion is rolled back unless it was already committing " +
                            $"('tenants --under {leaving.Id}' shows whether the tenant is still there).", deletion.StandardError);
            Assert.DoesNotContain("   at ", deletion.StandardError);
        }

        Assert.Equal(1, await Sql.CountAsync(database, "SELECT count(*) FROM tenants WHERE id = $1", leaving.Id));
        Assert.Equal(1, await Sql.CountAsync(database, "SELECT count(*) FROM apps WHERE id = $1 AND tenant_id = $2", appId, leaving.Id));
        Assert.Equal(0, await Sql.CountAsync(database, "SELECT count(*) FROM audit_events WHERE type = 'tenant.deleted'"));

        // rotate-secrets under a new master key, held up by a key's row in its second pass: the interruption is said with
        // what to do next, and the run that follows finishes.
        var rotating = new Dictionary<string, string?>(environment)
        {
            ["Provisioning__Secrets__MasterKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
            ["Provisioning__Secrets__PreviousMasterKeys__0"] = ServiceFixture.MasterKey,
        };
        await using (var held = await HeldRow.LockAsync(database, "api_keys", ServiceFixture.RootKeyId))
        {
            await using var rotation = ServiceProcess.Start(rotating, "rotate-secrets");
            await held.UntilWaitingAsync(1, VerbStart);
            await rotation.StopAsync();
            Assert.Equal(1, await rotation.WaitForExitAsync(Timeout));
            Assert.DoesNotContain("Done", rotation.StandardOutput);
            Assert.Contains("Provisioning: cancelling: the secrets re-encrypted so far stay so; keep the previous master keys configured " +
                            "and run rotate-secrets again to finish.", rotation.StandardError);
        }

        var (rotated, done, notes) = await RunInProcessAsync(rotating, "rotate-secrets");
        Assert.Equal(0, rotated);
        Assert.StartsWith("Done: ", done.Trim());
        Assert.StartsWith(OperatorCommands.RotationStarting + "\n", notes); // (before the cold start, which can take long)

        // migrate, its one pending migration (undone by hand, as its Down does, and its history row deleted) waiting for the
        // tenants' table: it said only "cancelled." (a probe of the verbs); the migration is rolled back, then applied by the
        // next run.
        const string Migration = "20261207141500_SuspensionsHeldByTheirSender";
        const string HasTheColumn = "SELECT count(*) FROM information_schema.columns WHERE table_name = 'tenants' AND column_name = 'suspended_by'";
        await Sql.ExecuteAsync(database, """
            ALTER TABLE tenants DROP CONSTRAINT ck_tenants_suspended_by_while_suspended;
            DROP TRIGGER tenants_suspension_holder_cleared ON tenants;
            DROP FUNCTION tenants_suspension_holder_cleared();
            ALTER TABLE tenants DROP COLUMN suspended_by;
            """ + $"DELETE FROM \"__EFMigrationsHistory\" WHERE migration_id = '{Migration}'");
        await using (var held = await HeldRow.LockAsync(database, "tenants", leaving.Id))
        {
            await using var migration = ServiceProcess.Start(rotating, "migrate");
            await held.UntilWaitingAsync(1, VerbStart);
            await migration.StopAsync();
            Assert.Equal(1, await migration.WaitForExitAsync(Timeout));
            Assert.Contains("Provisioning: cancelling: a migration this process was applying is rolled back, and those before it stay in " +
                            "('migrate --pending' lists what is left; migrate again to apply it).", migration.StandardError);
        }

        Assert.Equal(0, await Sql.CountAsync(database, $"SELECT count(*) FROM \"__EFMigrationsHistory\" WHERE migration_id = '{Migration}'"));
        Assert.Equal(0, await Sql.CountAsync(database, HasTheColumn));
        var (migrated, _, migrateNotes) = await RunInProcessAsync(rotating, "migrate");
        Assert.True(migrated == 0, migrateNotes);
        Assert.Equal(1, await Sql.CountAsync(database, HasTheColumn));
    }

    [Fact]
    public async Task DeleteTenant_ThatAnotherDeletionTookFirst_NamesTheTenantNotFound()
    {
        // Two operators (or an operator and the API) deleting one customer: the one that waits for the other's locks finds
        // the tenant gone, and says which, as for an id not found at all.
        var (database, environment, leaving, _) = await DatabaseWithACustomerAsync("race");

        await using var first = await HeldRow.LockAsync(database, "tenants", leaving.Id);
        var second = RunInProcessAsync(environment, "delete-tenant", "--tenant", leaving.Id);
        var waiting = first.UntilWaitingAsync(1, VerbStart);
        if (await Task.WhenAny(waiting, second) == second)
        {
            Assert.Fail($"The verb ended before it waited for the row: exit {(await second).ExitCode}, {(await second).Error}");
        }

        await waiting;
        await first.ExecuteAsync($"DELETE FROM tenants WHERE id = '{leaving.Id}'");
        await first.ReleaseAsync();
        Assert.Equal(0, await Sql.CountAsync(database, "SELECT count(*) FROM tenants WHERE id = $1", leaving.Id));

        var (exit, _, error) = await second.WaitAsync(Timeout);
        Assert.Equal(1, exit);
        Assert.Equal($"Provisioning: Tenant '{leaving.Id}' not found.", error.Trim().Split('\n')[^1]);
    }

    [Fact]
    public async Task DeleteTenant_HeldUpForLong_SaysItIsStillDeleting_AndThenWhatItDeleted()
    {
        // A customer of millions of apps takes minutes in one statement that prints nothing: the verb says every 10 s that
        // it is still at work (and that Ctrl-C is still safe), then, as always, what went.
        var (database, environment, leaving, _) = await DatabaseWithACustomerAsync("long");
        const string stillDeleting = "s so far); Ctrl-C cancels and rolls it back.";

        await using var held = await HeldRow.LockAsync(database, "tenants", leaving.Id);
        await using var deletion = ServiceProcess.Start(environment, "delete-tenant", "--tenant", leaving.Id);
        await held.UntilWaitingAsync(1, VerbStart);
        var giveUp = DateTime.UtcNow + Timeout;
        while (!deletion.StandardError.Contains(stillDeleting) && DateTime.UtcNow < giveUp)
        {
            await Task.Delay(200);
        }

        var said = deletion.StandardError;
        Assert.Contains($"Provisioning: still deleting {leaving.Id} (", said);
        Assert.True(said.IndexOf($"Provisioning: deleting {leaving.Id} (Leaving)", StringComparison.Ordinal) is >= 0 and var preview &&
                    preview < said.IndexOf(stillDeleting, StringComparison.Ordinal), "the preview comes first");
        await held.ReleaseAsync();

        Assert.Equal(0, await deletion.WaitForExitAsync(Timeout));
        Assert.StartsWith($"deleted: {leaving.Id} (Leaving) and everything under it, in ", deletion.StandardOutput.Trim());
        Assert.Equal(0, await Sql.CountAsync(database, "SELECT count(*) FROM tenants WHERE id = $1", leaving.Id));
    }

    [Fact]
    public async Task EveryVerb_IsToldFromTheServersOwnArguments_AlsoWhenGivenAfterThem()
    {
        // A verb missing from the list the start reads would be passed to a starting server after an option (or, now, be
        // refused as a stray word: the sentence says which it was taken for).
        var verbs = OperatorCommands.CommandNames().ToList();
        Assert.Contains("rotate-secrets", verbs);
        foreach (var verb in verbs)
        {
            Assert.True(OperatorCommands.IsVerb(["--urls", "http://127.0.0.1:9", verb]), verb);
            var (exit, _, error) = await RunInProcessAsync([], "--urls", "http://127.0.0.1:9", verb);
            Assert.Equal(1, exit);
            Assert.Contains($"the verb comes first ('dotnet Provisioning.WebApi.dll {verb} [options]')", error);
        }

        Assert.False(OperatorCommands.IsVerb(["--urls", "http://127.0.0.1:9"]));
        Assert.False(OperatorCommands.IsVerb(["--urls=http://127.0.0.1:9", "Provisioning:RateLimit:PermitsPerMinute=0", "--Logging:LogLevel:Default", "Debug"]));
        Assert.False(OperatorCommands.IsVerb(["--urls", "http://127.0.0.1:9", "", " ", "/environment", "Production"])); // a script's empty "$EXTRA"

        // Every verb's option is listed as one a server's start must not take for a setting.
        var (built, listed) = OperatorCommands.CommandOptions();
        Assert.All(built, pair => Assert.Contains(pair.Verb, listed[pair.Option].Split(", ")));
        Assert.Equal(listed.Keys.Order(), built.Select(pair => pair.Option).Distinct().Order());
    }

    [Fact]
    public async Task AMigrationPostgreSQLRefuses_IsOneSentenceNamingIt_AndLeavesTheSchemaAsItWas()
    {
        // A migration's history row deleted (or the schema changed by hand): its SQL refused at every try; migrate printed
        // 46 lines of stack trace (a probe). The migration's own transaction is rolled back.
        var database = await service.Postgres.CreateMigratedDatabaseAsync("refused_" + Guid.NewGuid().ToString("N")[..8]);
        const string Migration = "20261207141500_SuspensionsHeldByTheirSender";
        await Sql.ExecuteAsync(database, $"DELETE FROM \"__EFMigrationsHistory\" WHERE migration_id = '{Migration}'");
        var environment = new Dictionary<string, string?>
        {
            ["ConnectionStrings__Provisioning"] = database,
            ["Provisioning__Secrets__MasterKey"] = ServiceFixture.MasterKey,
        };

        var (exit, output, error) = await RunInProcessAsync(environment, "migrate");
        Assert.Equal(1, exit);
        Assert.Equal(string.Empty, output);
        Assert.Contains($"Provisioning: PostgreSQL refused the migration {Migration} (42701: column \"suspended_by\" of relation \"tenants\" " +
                        "already exists); it was rolled back, and the migrations before it are in.", error);
        Assert.DoesNotContain("   at ", error);
        Assert.Contains("The database's schema is not what this build's migrations expect there", error);
        Assert.Equal(0, await Sql.CountAsync(database, $"SELECT count(*) FROM \"__EFMigrationsHistory\" WHERE migration_id = '{Migration}'"));
        Assert.Equal(1, await Sql.CountAsync(database, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'tenants' AND column_name = 'suspended_by'"));
    }

    [Fact]
    public async Task AVerbsOptionWithoutItsVerb_ANameWithoutAValue_AndHelpAmongSettings_StartNoServer()
    {
        // An operator's '--pending' (meant: 'migrate --pending') started a server, which applied the pending migrations it
        // meant to list and served on 8080 (a probe); so did '--bogus', and '--urls … --help'.
        foreach (var (args, said) in new (string[], string)[]
                 {
                     (["--pending"], "--pending is an option of migrate: the verb comes first ('dotnet Provisioning.WebApi.dll migrate --pending …')."),
                     (["--urls", "http://127.0.0.1:0", "--tenant", "root"], "--tenant is an option of create-account-key, delete-tenant: the verb comes first"),
                     (["--bogus"], "'--bogus' has no value: the service's own arguments are settings"),
                     (["--urls", "http://127.0.0.1:0", "stray"], "argument 3 is neither a setting nor a verb"),
                     (["-urls", "http://127.0.0.1:0"], "'-urls' is not a setting (one '-')"),           // ignored by the reader: served on 8080
                     (["--urls", "http://127.0.0.1:0", "-x=y"], "'-x=…' is not a setting (one '-')"), // the reader's stack trace
                     // A setting's value is not said back (a password in a connection string given on the command line).
                     (["--ConnectionStrings:Provisioning=Host=db;Password=pass-word-2", "migrate"], "'migrate' was given after '--ConnectionStrings:Provisioning=…'"),
                     (["--urls", "http://127.0.0.1:0", "--\u001b[31mred"], "'--\\u001B[31mred' has no value"),
                 })
        {
            Assert.True(OperatorCommands.IsVerb(args), string.Join(' ', args));
            var (exit, output, error) = await RunAsync([], args);
            Assert.Equal(1, exit);
            Assert.Equal(string.Empty, output);
            Assert.Contains(said, error);
            Assert.DoesNotContain("pass-word-2", error);
        }

        var (help, helpOutput, _) = await RunAsync([], "--urls", "http://127.0.0.1:0", "--help");
        Assert.Equal(0, help);
        Assert.Contains("Usage:", helpOutput);
        Assert.Contains("erase-address", helpOutput);
    }

    [Fact]
    public async Task AVerbsSessions_AreNamedByTheVerb_OrAsTheOperatorNamesThem()
    {
        // A rotate-secrets that gave up names the sessions it waited for by their application_name, and an operator looks a
        // lock holder up in pg_stat_activity: a verb's session says which verb it is (an instance's says its id).
        var (database, environment, leaving, _) = await DatabaseWithACustomerAsync("named");
        const string waitingAs = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND application_name ~ $1";
        await using (var held = await HeldRow.LockAsync(database, "tenants", leaving.Id))
        {
            await using var deletion = ServiceProcess.Start(environment, "delete-tenant", "--tenant", leaving.Id);
            await held.UntilWaitingAsync(1, VerbStart);
            Assert.Equal(1, await Sql.CountAsync(database, waitingAs, "^provisioning delete-tenant [0-9a-f]{16}$"));
            await deletion.StopAsync();
            Assert.Equal(1, await deletion.WaitForExitAsync(Timeout));
        }

        // PGAPPNAME (which Npgsql reads when the connection string names none) is the operator's choice, and kept.
        await using (var held = await HeldRow.LockAsync(database, "tenants", leaving.Id))
        {
            await using var deletion = ServiceProcess.Start(new Dictionary<string, string?>(environment) { ["PGAPPNAME"] = "night-shift" },
                "delete-tenant", "--tenant", leaving.Id);
            await held.UntilWaitingAsync(1, VerbStart);
            Assert.Equal(1, await Sql.CountAsync(database, waitingAs, "^night-shift$"));
            await deletion.StopAsync();
            Assert.Equal(1, await deletion.WaitForExitAsync(Timeout));
        }
    }

    [Fact]
    public async Task DeleteTenant_WhoseDatabaseSessionEnds_SaysSoInOneSentence_WithoutAStackTrace_AndDeletesNothing()
    {
        // PostgreSQL stopped (or an administrator ending the session) in the middle of a deletion: the operator reads one
        // sentence, as for a database not reached at the start, and the tenant is whole.
        var (database, environment, leaving, _) = await DatabaseWithACustomerAsync("gone");

        await using (var held = await HeldRow.LockAsync(database, "tenants", leaving.Id))
        {
            await using var deletion = ServiceProcess.Start(environment, "delete-tenant", "--tenant", leaving.Id);
            await held.UntilWaitingAsync(1, VerbStart);
            Assert.Equal(1, await Sql.CountAsync(database, """
                WITH waiting AS MATERIALIZED (SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock')
                SELECT count(*) FROM waiting WHERE pg_terminate_backend(pid)
                """));
            Assert.Equal(1, await deletion.WaitForExitAsync(Timeout));
            var said = deletion.StandardError;
            Assert.Contains("Provisioning: PostgreSQL ended the session at ", said);
            Assert.Contains(": 57P01: terminating connection due to administrator command (the server stopped or restarted, or an " +
                            "administrator ended the session). The transaction under way was rolled back unless it was committing; " +
                            "once the server is back, run it again.", said);
            Assert.DoesNotContain("Host and Port", said); // it was reached
            Assert.DoesNotContain("   at ", said);
            Assert.DoesNotContain("\"LogLevel\":\"Error\"", said);
        }

        Assert.Equal(1, await Sql.CountAsync(database, "SELECT count(*) FROM tenants WHERE id = $1", leaving.Id));
    }

    /// <summary>A database of its own with a root and one customer, "Leaving", holding one app; the verbs' environment for it.</summary>
    private async Task<(string Database, Dictionary<string, string?> Environment, ProvisionedTenant Leaving, string AppId)> DatabaseWithACustomerAsync(string name)
    {
        var database = await service.Postgres.CreateMigratedDatabaseAsync(name + "_" + Guid.NewGuid().ToString("N")[..8]);
        await using var factory = new ConfiguredServiceFactory(database, ServiceFixture.RootKeySettings());
        using var root = await factory.CreateRootClientAsync();
        var leaving = await root.ProvisionAsync(name: "Leaving");
        using var asLeaving = factory.ClientOf(leaving);
        var appId = await asLeaving.CreateAppAsync("its app");
        return (database, new Dictionary<string, string?>
        {
            ["ConnectionStrings__Provisioning"] = database,
            ["Provisioning__Secrets__MasterKey"] = ServiceFixture.MasterKey,
        }, leaving, appId);
    }

    [Fact]
    public async Task AMistypedVerb_AVerbAfterOptions_AndABadValue_AreUsageErrors_NotAServerThatStarts()
    {
        // Each exits by itself (a server would run until the timeout) with one message and exit code 1.
        var (typo, _, typoError) = await RunAsync([], "tenantz");
        Assert.Equal(1, typo);
        Assert.Contains("Unrecognized command or argument 'tenantz'", typoError);
        Assert.DoesNotContain("Required command was not provided", typoError); // (no verb at all starts the server)
        var file = Path.GetTempFileName(); // no response files: '@file' is a word like any other, not the file's words
        try
        {
            await File.WriteAllTextAsync(file, "tenants");
            var (none, _, noneError) = await RunAsync([], "@" + file);
            Assert.Equal(1, none);
            Assert.Contains($"Unrecognized command or argument '@{file}'", noneError);
        }
        finally
        {
            File.Delete(file);
        }

        // Standard output is a verb's answer alone: a usage error's help and suggestions go with its message to standard
        // error ('tenants --bogus > tree.txt' filled the file with help).
        foreach (var wrong in new[] { new[] { "tenants", "--bogus" }, ["Tenants"], ["tenants", "--under", "a", "--under", "b"] })
        {
            var (exit, output, error) = await RunAsync([], wrong);
            Assert.Equal(1, exit);
            Assert.Equal(string.Empty, output.Trim());
            Assert.Contains("Usage:", error);
        }

        var (late, _, lateError) = await RunAsync([], "--urls", "http://127.0.0.1:0", "migrate");
        Assert.Equal(1, late);
        Assert.Contains("the verb comes first", lateError);

        var (batch, _, batchError) = await RunAsync([], "rotate-secrets", "--batch-size", "abc");
        Assert.Equal(1, batch);
        Assert.Contains("--batch-size must be a whole number between 1 and 10000; it is 'abc'.", batchError);
        Assert.DoesNotContain("System.Int32", batchError);
        foreach (var wrongSize in new[] { "0", "10001", "1.5", "99999999999", "+5" })
        {
            var (sized, _, sizedError) = await RunInProcessAsync([], "rotate-secrets", "--batch-size", wrongSize);
            Assert.Equal(1, sized);
            Assert.Contains($"--batch-size must be a whole number between 1 and 10000; it is '{wrongSize}'.", sizedError);
        }
        Assert.DoesNotContain("Unhandled exception", batchError);

        var (url, _, urlError) = await RunAsync([], "healthcheck", "not-a-url");
        Assert.Equal(1, url);
        Assert.Contains("'not-a-url' is not an absolute http(s) URL", urlError);

        var (down, _, downError) = await RunAsync([], "healthcheck", "http://127.0.0.1:1/readyz");
        Assert.Equal(1, down);
        Assert.Contains("http://127.0.0.1:1/readyz could not be reached", downError);

        // What the operator typed is said back without a password, escaped, and not whole when long; bytes that are not
        // UTF-8 (U+FFFD as the runtime reads them) are refused before any verb runs with them.
        var (secretUrl, _, secretUrlError) = await RunInProcessAsync([], "healthcheck", "http://user:pass-word-1@127.0.0.1:1/readyz");
        Assert.Equal(1, secretUrl);
        Assert.DoesNotContain("pass-word-1", secretUrlError);
        Assert.Contains("(a URL with a user name or password: not printed) could not be reached", secretUrlError);
        var (garbled, _, garbledError) = await RunInProcessAsync([], "create-account-key", "--tenant", "root", "--name", "\uFFFD\uFFFD bad utf8");
        Assert.Equal(1, garbled);
        Assert.Contains("holds bytes that are not UTF-8", garbledError);
    }

    [Fact]
    public async Task VerbsOnTheData_RefuseAForeignMasterKey_AndAnUnmigratedDatabase_AndMakeNothing()
    {
        var database = await service.Postgres.CreateDatabaseAsync("verbs_" + Guid.NewGuid().ToString("N")[..8]);
        var environment = new Dictionary<string, string?>
        {
            ["ConnectionStrings__Provisioning"] = database,
            ["Provisioning__Secrets__MasterKey"] = ServiceFixture.MasterKey,
        };

        var (unmigrated, _, pending) = await RunAsync(environment, "tenants");
        Assert.Equal(1, unmigrated);
        Assert.Contains("pending migrations", pending);
        Assert.DoesNotContain("   at ", pending);

        // A setting the verb does not use is still refused as the start refuses it, before the database (a verb went on with
        // MigrateOnStartup=maybe, and a bootstrap setting given as a list ended in the binder's stack trace: a probe).
        foreach (var (setting, value, said) in new[]
                 {
                     ("Provisioning__Database__MigrateOnStartup", "maybe", "Failed to convert configuration value 'maybe' at 'Provisioning:Database:MigrateOnStartup' to type 'System.Boolean': the setting takes true or false"),
                     ("Provisioning__Bootstrap__Secret__0", "a-secret-of-more-than-32-characters-0123", "Provisioning:Bootstrap:Secret takes one value, not a list or an object"),
                 })
        {
            var (exit, _, error) = await RunInProcessAsync(new Dictionary<string, string?>(environment) { [setting] = value }, "tenants");
            Assert.True(exit == 1, error);
            Assert.StartsWith($"Provisioning: {said}", error.Trim());
            Assert.DoesNotContain("   at ", error);
        }

        // A service start records the master key's check value (and makes the root).
        await using (var factory = new ConfiguredServiceFactory(database, ServiceFixture.RootKeySettings()))
        {
            using var client = factory.CreateClient();
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz")).StatusCode);
        }

        var keys = await Sql.CountAsync(database, "SELECT count(*) FROM api_keys");
        var foreign = new Dictionary<string, string?>(environment)
        {
            ["Provisioning__Secrets__MasterKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
        };
        foreach (var verb in new[] { new[] { "create-account-key", "--tenant", "root" }, ["tenants"], ["rotate-secrets"], ["migrate"] })
        {
            var (exit, output, error) = await RunInProcessAsync(foreign, verb);
            Assert.True(exit == 1, $"{verb[0]}: exit {exit}\n{output}\n{error}");
            Assert.Contains("do not include every key this database's secrets are encrypted with", error);
            Assert.DoesNotContain("secret:", output);
        }

        Assert.Equal(keys, await Sql.CountAsync(database, "SELECT count(*) FROM api_keys"));
        Assert.Equal(0, (await RunInProcessAsync(environment, "tenants")).ExitCode);
    }

    [GeneratedRegex(@"keyId:\s+(act_[0-9a-f]{24})")]
    private static partial Regex KeyIdLine();

    [GeneratedRegex(@"secret:\s+(\S+)")]
    private static partial Regex SecretLine();
}
