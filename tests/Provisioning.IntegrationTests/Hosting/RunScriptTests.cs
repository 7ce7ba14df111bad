using System.Diagnostics;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text;
using Npgsql;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Hosting;

/// <summary>
/// scripts/run, as a new user meets it: copied into fresh "clones" (the script takes the parent of scripts/ as the
/// repository root), each prepared with <c>--db-only</c>. As root the clones sit in a folder of mode 700, like
/// /root, which the postgres OS user cannot traverse. Needs the PostgreSQL server binaries, as the script does.
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed class RunScriptTests
{
    private const string ConnectionStringPrefix = "ConnectionStrings__Provisioning=";
    private const string RelocatedClusters = "/var/lib/provisioning";
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromMinutes(5);

    [Theory]
    [InlineData("tenants")]
    [InlineData("rotate-secrets", "--batch-size", "100")]
    [InlineData("create-account-key", "--tenant", "root", "--name", "Ops team")]
    public async Task AnOperatorVerb_IsAnsweredWithHowToRunIt_BeforeAnythingStarts(params string[] args)
    {
        // scripts/run always adds --urls, which the verbs refuse: an operator read System.CommandLine's "Unrecognized command
        // or argument '--urls'" after lines about the service's URL (a probe).
        var home = Directory.CreateTempSubdirectory("provisioning-run-");
        try
        {
            var clone = NewClone(home.FullName, "verb", []);
            var result = await RunScriptAsync(clone, args);
            Assert.True(result.ExitCode == 2, result.ToString());
            Assert.Equal("", result.StandardOutput);
            Assert.Contains($"run the verb '{args[0]}' with the clone's configuration instead", result.StandardError);
            // Quoted as the shell needs it, so the line can be pasted ("Ops team" stays one argument).
            Assert.Contains($"Provisioning.WebApi.dll {string.Join(' ', args.Select(a => a.Replace(" ", "\\ ", StringComparison.Ordinal)))}", result.StandardError);
            Assert.False(Directory.Exists(Path.Combine(clone, ".data")), "nothing is prepared for a verb");
        }
        finally
        {
            DeleteFolder(home.FullName);
        }
    }

    [Fact]
    public async Task DbOnly_PreparesAReachableDatabase_TwoClonesGetDifferentPorts_AndAClonesPortIsReused()
    {
        var home = Directory.CreateTempSubdirectory("provisioning-run-");
        var clones = new List<string>();
        try
        {
            if (Environment.IsPrivilegedProcess)
            {
                // Like /root: nobody else may even traverse it.
                File.SetUnixFileMode(home.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            var first = NewClone(home.FullName, "first", clones);
            var firstRun = await RunScriptAsync(first, "--db-only");
            var firstPort = await AssertDatabaseReadyAsync(first, firstRun);

            // A second clone while the first cluster runs: it must not take the first one's port.
            var second = NewClone(home.FullName, "second", clones);
            var secondPort = await AssertDatabaseReadyAsync(second, await RunScriptAsync(second, "--db-only"));
            Assert.NotEqual(firstPort, secondPort);

            // Again on the first clone, its cluster still running: the same port, the same database.
            Assert.Equal(firstPort, await AssertDatabaseReadyAsync(first, await RunScriptAsync(first, "--db-only")));

            // Stopped and started again: the remembered port, unless someone took it meanwhile (then the script says so: found
            // taken before the start, or between its check and PostgreSQL's bind — the port is in the kernel's ephemeral range,
            // where any outgoing connection of this host can get it; a full run met the second).
            AssertSucceeded(await RunScriptAsync(first, "--stop-db"), "--stop-db");
            var restart = await RunScriptAsync(first, "--db-only");
            var restartedPort = await AssertDatabaseReadyAsync(first, restart);
            Assert.True(restartedPort == firstPort
                        || restart.StandardError.Contains($"Port {firstPort} is taken", StringComparison.Ordinal)
                        || restart.StandardError.Contains($"Port {firstPort} was taken meanwhile", StringComparison.Ordinal),
                $"The first clone's cluster came back on port {restartedPort} instead of the remembered {firstPort}:\n{restart}");

            // Stopped, then started by hand as an operator would after a reboot (pg_ctl, no options): on the same port, with the
            // same settings, from the cluster's own configuration (given only on the script's pg_ctl command line, it came up on
            // 5432 with 100 connections, and the service answered 503 until restarted: a runbook drill).
            AssertSucceeded(await RunScriptAsync(first, "--stop-db"), "--stop-db");
            var cluster = Environment.IsPrivilegedProcess
                ? File.ReadAllText(Path.Combine(first, ".data", "pg.location")).Trim()
                : Path.Combine(first, ".data", "pg");
            await PgCtlAsync("-D", cluster, "-l", Path.Combine(cluster, "server.log"), "-w", "start");

            var line = restart.StandardOutput.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith(ConnectionStringPrefix, StringComparison.Ordinal));
            var byHandConnection = new NpgsqlConnectionStringBuilder(line[ConnectionStringPrefix.Length..]) { Pooling = false, Timeout = 30 };
            await using (var connection = new NpgsqlConnection(byHandConnection.ConnectionString))
            {
                await connection.OpenAsync();
                await using var settings = new NpgsqlCommand(
                    "SELECT current_setting('max_connections') || ' ' || current_setting('listen_addresses') || ' ' || current_setting('log_line_prefix')", connection);
                Assert.Equal("250 127.0.0.1 %m [%p] %e ", (string?)await settings.ExecuteScalarAsync());
            }

            // And the script finds it where it left it: the same port, no word of another.
            var afterHand = await RunScriptAsync(first, "--db-only");
            Assert.Equal(restartedPort, await AssertDatabaseReadyAsync(first, afterHand));
            Assert.DoesNotContain("not on the", afterHand.StandardError, StringComparison.Ordinal);

            // Started by hand on another port: the script says that a service started before connects to the old one.
            AssertSucceeded(await RunScriptAsync(first, "--stop-db"), "--stop-db");
            int elsewhere;
            using (var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
            {
                probe.Start(); // a port free now (the OS's choice), let go for PostgreSQL
                elsewhere = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
            }

            await PgCtlAsync("-D", cluster, "-l", Path.Combine(cluster, "server.log"), "-o", $"-p {elsewhere}", "-w", "start");
            var moved = await RunScriptAsync(first, "--db-only");
            Assert.Equal(elsewhere, await AssertDatabaseReadyAsync(first, moved));
            Assert.Contains($"The cluster runs on port {elsewhere}, not on the {restartedPort} this clone remembers", moved.StandardError, StringComparison.Ordinal);

            // From then on it comes back by hand where it ran, which is what the clone now remembers: the script rewrote the
            // cluster's configuration while it ran (a review: only its own starts did, so a stop and a start by hand went
            // back to the old port, behind the service started after the warning).
            await PgCtlAsync("-D", cluster, "-m", "fast", "-w", "stop");
            await PgCtlAsync("-D", cluster, "-l", Path.Combine(cluster, "server.log"), "-w", "start");
            var back = await RunScriptAsync(first, "--db-only");
            Assert.Equal(elsewhere, await AssertDatabaseReadyAsync(first, back));
            Assert.DoesNotContain("not on the", back.StandardError, StringComparison.Ordinal);
        }
        finally
        {
            await RemoveAsync(clones, home);
        }
    }

    [Fact]
    public async Task ASecondRun_WhileTheClonesServiceRuns_IsRefusedUnlessAskedForAnotherPort_AndAnEnvironmentMasterKeyIsSaidToBeUnused()
    {
        var home = Directory.CreateTempSubdirectory("provisioning-run-");
        var clones = new List<string>();
        Process? holder = null;
        try
        {
            if (Environment.IsPrivilegedProcess)
            {
                File.SetUnixFileMode(home.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            var clone = NewClone(home.FullName, "clone", clones);
            await AssertDatabaseReadyAsync(clone, await RunScriptAsync(clone, "--db-only"));
            var data = Path.Combine(clone, ".data");

            // This clone's service, as scripts/run leaves it running: holding .data/service.lock, its PID and URL inside.
            File.WriteAllText(Path.Combine(data, "service.lock"), "4242\nhttp://127.0.0.1:8080\n");
            holder = Process.Start(new ProcessStartInfo("flock", [Path.Combine(data, "service.lock"), "sleep", "600"]) { UseShellExecute = false })
                     ?? throw new InvalidOperationException("Could not start flock.");
            await WaitUntilAsync(() => !TryLock(Path.Combine(data, "service.lock")), "flock to take .data/service.lock");

            var second = await RunScriptAsync(clone);
            Assert.True(second.ExitCode != 0, $"A second scripts/run started while the clone's service runs:\n{second}");
            Assert.Contains("This clone's service is already running (PID 4242, on http://127.0.0.1:8080).", second.StandardError, StringComparison.Ordinal);
            Assert.False(File.Exists(Path.Combine(data, "http.port")), $"The refused run chose a port for itself:\n{second}");

            // Asked for on purpose, with --urls: a second instance is said to be one and goes on (to the build, which this
            // bare clone does not have), and a master key from the environment is said to be unused, without its value.
            const string environmentKey = "a-master-key-from-the-environment";
            var asked = await RunScriptAsync(clone, new Dictionary<string, string> { ["Provisioning__Secrets__MasterKey"] = environmentKey },
                "--urls", "http://127.0.0.1:18999");
            Assert.Contains("this one is a second instance on the same database", asked.StandardError, StringComparison.Ordinal);
            Assert.Contains("Provisioning__Secrets__MasterKey from the environment is not used", asked.StandardError, StringComparison.Ordinal);
            Assert.DoesNotContain(environmentKey, asked.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain("already running (PID 4242, on http://127.0.0.1:8080). Stop it first", asked.StandardError, StringComparison.Ordinal);
        }
        finally
        {
            if (holder is { HasExited: false })
            {
                holder.Kill(entireProcessTree: true);
            }

            holder?.Dispose();
            await RemoveAsync(clones, home);
        }
    }

    [Fact]
    public async Task AClonesLongPath_StillStartsItsCluster_WhichListensOnNoUnixSocket()
    {
        // The cluster's socket was in its own folder: a clone's path of 84 bytes or more made the socket's longer than
        // PostgreSQL's 107, and the cluster never started (a probe, as a user in /home). Folders the postgres OS user can
        // traverse (a .data/ of mode 711 made beforehand), so that as root too the cluster is in the clone's .data/pg.
        var home = Directory.CreateTempSubdirectory("provisioning-run-");
        var clones = new List<string>();
        try
        {
            var traversable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
            File.SetUnixFileMode(home.FullName, traversable);
            var clone = NewClone(home.FullName, "a-checkout-under-a-long-path-" + new string('x', 90), clones);
            Assert.True(Path.Combine(clone, ".data", "pg", ".s.PGSQL.55432").Length > 107);
            if (Environment.IsPrivilegedProcess)
            {
                // As root only: a user's own .data/ is where its cluster lives anyway (and the script makes it 700).
                File.SetUnixFileMode(clone, traversable);
                Directory.CreateDirectory(Path.Combine(clone, ".data"));
                File.SetUnixFileMode(Path.Combine(clone, ".data"), traversable);
            }

            await AssertDatabaseReadyAsync(clone, await RunScriptAsync(clone, "--db-only"), dataOpenedBeforehand: Environment.IsPrivilegedProcess);
            Assert.Empty(Directory.GetFiles(Path.Combine(clone, ".data", "pg"), ".s.PGSQL.*"));
        }
        finally
        {
            await RemoveAsync(clones, home);
        }
    }

    [Fact]
    public async Task ATmpdirThatIsNoFolder_IsOneSentence_BeforeAnythingIsMade()
    {
        // mktemp's own words, and a half-made .data, before (a probe).
        var home = Directory.CreateTempSubdirectory("provisioning-run-");
        try
        {
            var clone = NewClone(home.FullName, "tmpdir", []);
            var result = await RunScriptAsync(clone, new Dictionary<string, string> { ["TMPDIR"] = "/nonexistent/tmp" }, "--db-only");
            Assert.True(result.ExitCode == 1, result.ToString());
            Assert.Equal(
                "TMPDIR names /nonexistent/tmp, which is not a folder this user can write: point it at one (or unset it), then run scripts/run again.",
                result.StandardError.Trim());
            Assert.False(Directory.Exists(Path.Combine(clone, ".data")), "nothing is made");
        }
        finally
        {
            DeleteFolder(home.FullName);
        }
    }

    [Fact]
    public async Task ADataFolderWhoseClusterIsGone_IsRefused_NotGivenANewEmptyDatabaseAndRoot()
    {
        // A probe kept a copy of .data/ as its backup and lost the cluster (as root it lives in /var/lib/provisioning, so
        // the copy held no data): the next run made a new empty cluster where the old one was, the service a new root, and
        // root-key.json was replaced, without a word.
        var home = Directory.CreateTempSubdirectory("provisioning-run-");
        var clones = new List<string>();
        try
        {
            if (Environment.IsPrivilegedProcess)
            {
                File.SetUnixFileMode(home.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            var clone = NewClone(home.FullName, "restored", clones);
            await AssertDatabaseReadyAsync(clone, await RunScriptAsync(clone, "--db-only"));
            var data = Path.Combine(clone, ".data");
            var rootKeyFile = Path.Combine(data, "root-key.json");
            const string rootKey = """{ "tenantId": "0123456789abcdef01234567", "keyId": "act_0123456789abcdef01234567", "secret": "kept" }""";
            File.WriteAllText(rootKeyFile, rootKey); // as the service's first start leaves it
            AssertSucceeded(await RunScriptAsync(clone, "--stop-db"), "--stop-db");
            var cluster = Environment.IsPrivilegedProcess ? File.ReadAllText(Path.Combine(data, "pg.location")).Trim() : Path.Combine(data, "pg");
            Directory.Move(cluster, cluster + ".lost"); // (beside it: removed with the clone)

            var again = await RunScriptAsync(clone, "--db-only");
            Assert.True(again.ExitCode == 1, again.ToString());
            Assert.Contains($"No PostgreSQL cluster in {cluster}, yet .data/ holds its password and the root key of a database made in it", again.StandardError, StringComparison.Ordinal);
            Assert.Contains("mv .data .data.old", again.StandardError, StringComparison.Ordinal);
            Assert.False(Directory.Exists(cluster), $"A new cluster was made:\n{again}");
            Assert.Equal(rootKey, File.ReadAllText(rootKeyFile));
        }
        finally
        {
            await RemoveAsync(clones, home);
        }
    }

    /// <summary>Whether an exclusive lock on the file can be had now (.NET takes a BSD flock for FileShare.None on Unix).</summary>
    private static bool TryLock(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        for (var i = 0; i < 100 && !condition(); i++)
        {
            await Task.Delay(100);
        }

        Assert.True(condition(), $"Waited 10 s for {what}.");
    }

    /// <summary>
    /// Checks what a successful <c>--db-only</c> leaves behind: a connection string on stdout that opens the
    /// <c>provisioning</c> database, the port in .data/pg.port, and .data/ private to the invoking user — or, when the test
    /// made .data/ traversable beforehand (<paramref name="dataOpenedBeforehand"/>), kept so, with the cluster inside it.
    /// </summary>
    private static async Task<int> AssertDatabaseReadyAsync(string clone, ScriptResult result, bool dataOpenedBeforehand = false)
    {
        AssertSucceeded(result, "--db-only");
        var line = result.StandardOutput.Split('\n').Select(l => l.Trim()).SingleOrDefault(l => l.StartsWith(ConnectionStringPrefix, StringComparison.Ordinal));
        Assert.True(line is not null, $"scripts/run --db-only printed no {ConnectionStringPrefix}... line:\n{result}");

        var connectionString = new NpgsqlConnectionStringBuilder(line![ConnectionStringPrefix.Length..]) { Pooling = false, Timeout = 30 };
        Assert.Equal("provisioning", connectionString.Database);
        await using (var connection = new NpgsqlConnection(connectionString.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT current_database()", connection);
            Assert.Equal("provisioning", (string?)await command.ExecuteScalarAsync());

            // Its log names each error's SQLSTATE (docs/operations.md tells operators to alert on codes such as PX503).
            await using var prefix = new NpgsqlCommand("SELECT current_setting('log_line_prefix')", connection);
            Assert.Contains("%e", (string?)await prefix.ExecuteScalarAsync(), StringComparison.Ordinal);
        }

        var data = Path.Combine(clone, ".data");
        Assert.Equal(connectionString.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), File.ReadAllText(Path.Combine(data, "pg.port")).Trim());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                     | (dataOpenedBeforehand ? UnixFileMode.GroupExecute | UnixFileMode.OtherExecute : UnixFileMode.None), File.GetUnixFileMode(data));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(data, "master.key")));
        if (Environment.IsPrivilegedProcess && !dataOpenedBeforehand)
        {
            // The postgres user cannot reach .data/, so the cluster lives where it can, and .data/ says where.
            var location = File.ReadAllText(Path.Combine(data, "pg.location")).Trim();
            Assert.StartsWith(RelocatedClusters + "/", location, StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(location, "PG_VERSION")), $"No cluster in {location}:\n{result}");
        }
        else
        {
            Assert.True(File.Exists(Path.Combine(data, "pg", "PG_VERSION")), $"No cluster in {data}/pg:\n{result}");
        }

        return connectionString.Port;
    }

    /// <summary>pg_ctl with <paramref name="args"/>, as the cluster's owner (as root: the postgres OS user); fails the test if it fails.</summary>
    private static async Task PgCtlAsync(params string[] args)
    {
        var pgCtl = Path.Combine(PostgresServer.FindServerBinaries() ?? throw new InvalidOperationException("No PostgreSQL server binaries."), "pg_ctl");
        var info = new ProcessStartInfo(Environment.IsPrivilegedProcess ? "runuser" : pgCtl)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = "/",
        };
        foreach (var arg in Environment.IsPrivilegedProcess ? ["-u", "postgres", "--", pgCtl, .. args] : args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = await StartAsync(info);
        var said = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"pg_ctl {string.Join(' ', args)}: {await said}{await errors}");
    }

    private static void AssertSucceeded(ScriptResult result, string what) =>
        Assert.True(result.ExitCode == 0, $"scripts/run {what} exited with {result.ExitCode}:\n{result}");

    /// <summary>A folder with only scripts/run in it: all the script needs to prepare a database.</summary>
    private static string NewClone(string home, string name, List<string> clones)
    {
        var clone = Path.Combine(home, name);
        clones.Add(clone);
        var script = Path.Combine(clone, "scripts", "run");
        Directory.CreateDirectory(Path.GetDirectoryName(script)!);
        File.Copy(NodeProject.RepositoryPath("scripts", "run"), script);
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                                     UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        return clone;
    }

    /// <summary>Removes each clone (<see cref="RemoveCloneAsync"/>), then the folder they were made in.</summary>
    private static async Task RemoveAsync(List<string> clones, DirectoryInfo home)
    {
        foreach (var clone in clones)
        {
            await RemoveCloneAsync(clone);
        }

        DeleteFolder(home.FullName);
    }

    /// <summary>Stops the clone's cluster and deletes the clone and, as root, its cluster outside the clone.</summary>
    private static async Task RemoveCloneAsync(string clone)
    {
        if (!File.Exists(Path.Combine(clone, "scripts", "run")))
        {
            return;
        }

        try
        {
            await RunScriptAsync(clone, "--stop-db");
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            Console.Error.WriteLine($"RunScriptTests: could not stop the cluster of {clone}: {ex.Message}");
        }

        // The folder the cluster moved to: recorded in .data/pg.location, else where the script would put it.
        var recorded = Path.Combine(clone, ".data", "pg.location");
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(clone))))[..12];
        var relocated = new[]
        {
            File.Exists(recorded) ? Path.GetDirectoryName(File.ReadAllText(recorded).Trim()) : null,
            Path.Combine(RelocatedClusters, hash),
        };
        foreach (var folder in relocated.Distinct())
        {
            if (folder is not null && folder.StartsWith(RelocatedClusters + "/", StringComparison.Ordinal) && Directory.Exists(folder))
            {
                DeleteFolder(folder);
            }
        }

        DeleteFolder(clone);
    }

    private static void DeleteFolder(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"RunScriptTests: could not delete {folder}: {ex.Message}");
        }
    }

    private sealed record ScriptResult(int ExitCode, string StandardOutput, string StandardError)
    {
        public override string ToString() => $"--- stdout ---\n{StandardOutput.Trim()}\n--- stderr ---\n{StandardError.Trim()}";
    }

    private static Task<ScriptResult> RunScriptAsync(string clone, params string[] args) =>
        RunScriptAsync(clone, new Dictionary<string, string>(), args);

    /// <summary>
    /// Starts <paramref name="info"/>, again after a moment when the kernel says the script is busy (ETXTBSY): a process
    /// another test forks while the script was being copied holds the copy's write handle until its own exec, and an exec
    /// of the script meanwhile fails ("Text file busy", seen once in CI).
    /// </summary>
    private static async Task<Process> StartAsync(ProcessStartInfo info)
    {
        const int TextFileBusy = 26;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return Process.Start(info) ?? throw new InvalidOperationException($"Could not start {info.FileName}.");
            }
            catch (System.ComponentModel.Win32Exception e) when (e.NativeErrorCode == TextFileBusy && attempt < 10)
            {
                await Task.Delay(100 * attempt);
            }
        }
    }

    private static async Task<ScriptResult> RunScriptAsync(string clone, Dictionary<string, string> environment, params string[] args)
    {
        var info = new ProcessStartInfo(Path.Combine(clone, "scripts", "run"))
        {
            WorkingDirectory = clone,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        // The script's own port choice is under test, not a port forced from outside.
        info.Environment.Remove("PROVISIONING_PG_PORT");
        info.Environment.Remove("ASPNETCORE_URLS");
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        using var process = await StartAsync(info);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(ScriptTimeout);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"scripts/run {string.Join(' ', args)} in {clone} did not finish within {ScriptTimeout.TotalMinutes:0} minutes.");
        }

        return new ScriptResult(process.ExitCode, await stdout, await stderr);
    }
}
