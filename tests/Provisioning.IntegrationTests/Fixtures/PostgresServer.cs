using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Npgsql;
using Testcontainers.PostgreSql;

namespace Provisioning.IntegrationTests.Fixtures;

/// <summary>
/// A real PostgreSQL for the tests, chosen in this order:
/// <list type="number">
/// <item><c>PROVISIONING_TEST_DB</c>: a connection string to a server you run (used as is, never stopped);</item>
/// <item>Testcontainers, when a Docker engine answers a ping within a second or two;</item>
/// <item>a throw-away local cluster made with the PostgreSQL server binaries (initdb/pg_ctl on PATH or under
/// /usr/lib/postgresql/*/bin), on a free loopback port in a temp folder, run as the <c>postgres</c> user when
/// running as root (initdb refuses root), stopped and deleted on dispose.</item>
/// </list>
/// If none is possible it fails with one sentence saying what to install. It never skips.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    public const string EnvironmentVariable = "PROVISIONING_TEST_DB";

    private const string NothingAvailable =
        "No PostgreSQL available for the tests: set PROVISIONING_TEST_DB to a connection string, start a Docker engine, " +
        "or install the PostgreSQL server binaries (apt-get install -y postgresql).";

    private readonly Func<ValueTask> _dispose;
    private readonly Func<CancellationToken, Task>? _restartInRecovery;
    private readonly string? _log;
    private readonly SemaphoreSlim _templateGate = new(1, 1);
    private string? _migratedTemplate;
    private int _disposed;

    private PostgresServer(
        string connectionString, string description, Func<ValueTask> dispose, Func<CancellationToken, Task>? restartInRecovery = null, string? log = null)
    {
        ConnectionString = connectionString;
        Description = description;
        _dispose = dispose;
        _restartInRecovery = restartInRecovery;
        _log = log;
    }

    /// <summary>Connection string of the server's maintenance database.</summary>
    public string ConnectionString { get; }

    /// <summary>Which of the three sources is in use (for diagnostics).</summary>
    public string Description { get; }

    public static async Task<PostgresServer> StartAsync(CancellationToken cancellationToken = default)
    {
        var configured = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return new PostgresServer(configured, EnvironmentVariable, () => ValueTask.CompletedTask);
        }

        return await StartOwnAsync(cancellationToken);
    }

    /// <summary>
    /// A server of the caller's own, made for it and gone with it, even when <see cref="EnvironmentVariable"/> names one: for a
    /// test that changes a setting of the whole server (<c>ALTER SYSTEM</c>), which on a shared one would reach every other.
    /// </summary>
    public static async Task<PostgresServer> StartOwnAsync(CancellationToken cancellationToken = default)
    {
        var bin = FindServerBinaries();
        var docker = await DockerEndpointThatAnswersAsync(cancellationToken);
        if (docker is not null)
        {
            var builder = new PostgreSqlBuilder("postgres:16-alpine");
            if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("DOCKER_HOST")))
            {
                // A socket found here; with DOCKER_HOST set, Testcontainers resolves it (and its TLS settings) itself.
                builder = builder.WithDockerEndpoint(docker);
            }

            var container = builder.Build();
            try
            {
                await container.StartAsync(cancellationToken);
                return new PostgresServer(container.GetConnectionString(), $"Testcontainers via {docker}", container.DisposeAsync);
            }
            catch (Exception ex) when (bin is not null && ex is not OperationCanceledException)
            {
                // Docker answers but cannot run the image (offline, no pull rights...): the local binaries still can.
                await container.DisposeAsync();
                Console.Error.WriteLine($"PostgresServer: Docker answered but the container did not start ({ex.Message}); using a local cluster.");
            }
        }

        if (bin is null)
        {
            throw new InvalidOperationException(NothingAvailable);
        }

        return await LocalCluster.StartAsync(bin, cancellationToken);
    }

    /// <summary>
    /// A throw-away local cluster of the caller's own, made with the server binaries whether or not Docker answers: for a test
    /// that works on the server's files (<see cref="RestartInRecoveryAsync"/>).
    /// </summary>
    public static async Task<PostgresServer> StartLocalAsync(CancellationToken cancellationToken = default) =>
        await LocalCluster.StartAsync(FindServerBinaries() ?? throw new InvalidOperationException(
            "This test needs the PostgreSQL server binaries (apt-get install -y postgresql): it works on a server's files."), cancellationToken);

    /// <summary>
    /// Stops the server and starts it again as a standby of no primary (<c>standby.signal</c>): it replays what it has, then
    /// takes read-only sessions in which <c>pg_is_in_recovery()</c> is true, as a standby does, or a restore to a point in
    /// time while it replays. Returns once it takes them. Only for a server of <see cref="StartLocalAsync"/>.
    /// </summary>
    public Task RestartInRecoveryAsync(CancellationToken cancellationToken = default) =>
        (_restartInRecovery ?? throw new InvalidOperationException("Only a server of StartLocalAsync can be restarted in recovery."))(cancellationToken);

    /// <summary>What the server has logged so far. Only for a server of <see cref="StartLocalAsync"/>.</summary>
    public Task<string> ReadLogAsync() =>
        File.ReadAllTextAsync(_log ?? throw new InvalidOperationException("Only a server of StartLocalAsync has a log to read."));

    /// <summary>Creates an empty database (with <paramref name="options"/> of <c>CREATE DATABASE</c>: a locale) and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string name, string? options = null)
    {
        await using (var connection = new NpgsqlConnection(ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE {Quote(name)} {options}", connection);
            await command.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(ConnectionString) { Database = name }.ConnectionString;
    }

    /// <summary>
    /// Creates a database with this build's migrations applied and nothing else, as <c>migrate</c> leaves one (no tenant, no
    /// master-key check value), and returns its connection string: a copy of a template migrated once by this object (a
    /// collection's server; with <see cref="EnvironmentVariable"/>, each collection's template stays on that server). Applying
    /// the migrations costs ≈ 0.35 s of the tests' CPU and 0.3 s of the server's per database. For a test whose subject is
    /// not the first migration nor a start that applies it (those take <see cref="CreateDatabaseAsync"/>).
    /// </summary>
    public async Task<string> CreateMigratedDatabaseAsync(string name)
    {
        var template = await MigratedTemplateAsync();
        await using (var connection = new NpgsqlConnection(ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE {Quote(name)} TEMPLATE {Quote(template)}", connection);
            await command.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(ConnectionString) { Database = name }.ConnectionString;
    }

    private async Task<string> MigratedTemplateAsync()
    {
        await _templateGate.WaitAsync();
        try
        {
            if (_migratedTemplate is null)
            {
                var name = "migrated_template_" + Guid.NewGuid().ToString("N")[..8];
                var (exit, _, error) = await InProcessVerb.RunAsync(new Dictionary<string, string?>
                {
                    ["ConnectionStrings__Provisioning"] = await CreateDatabaseAsync(name),
                    ["Provisioning__Secrets__MasterKey"] = ServiceFixture.MasterKey,
                }, "migrate");
                if (exit != 0)
                {
                    throw new InvalidOperationException($"The tests' template database could not be migrated: {error}");
                }

                // A database is copied only with no session on it: the migration's sessions are ended, and none may come.
                await using var connection = new NpgsqlConnection(ConnectionString);
                await connection.OpenAsync();
                await using var close = new NpgsqlCommand(
                    $"ALTER DATABASE {Quote(name)} WITH ALLOW_CONNECTIONS false; " +
                    $"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '{name}'", connection);
                await close.ExecuteNonQueryAsync();
                _migratedTemplate = name;
            }

            return _migratedTemplate;
        }
        finally
        {
            _templateGate.Release();
        }
    }

    /// <summary>Drops a database, closing its connections.</summary>
    public async Task DropDatabaseAsync(string name)
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Quote(name)} WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }

    public ValueTask DisposeAsync() =>
        Interlocked.Exchange(ref _disposed, 1) == 0 ? _dispose() : ValueTask.CompletedTask;

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>
    /// The Docker endpoint (DOCKER_HOST, else the usual sockets) when it answers <c>GET /_ping</c> within 1.5 s,
    /// otherwise null. Talks to the socket directly: no docker CLI needed, nothing to hang on.
    /// </summary>
    private static async Task<Uri?> DockerEndpointThatAnswersAsync(CancellationToken cancellationToken)
    {
        var candidates = new List<Uri>();
        var host = Environment.GetEnvironmentVariable("DOCKER_HOST");
        if (!string.IsNullOrWhiteSpace(host))
        {
            if (Uri.TryCreate(host, UriKind.Absolute, out var uri))
            {
                candidates.Add(uri);
            }
        }
        else
        {
            var runtimeDir = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
            var sockets = new[]
            {
                "/var/run/docker.sock",
                string.IsNullOrEmpty(runtimeDir) ? null : Path.Combine(runtimeDir, "docker.sock"),
                Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".docker", "run", "docker.sock"),
            };
            candidates.AddRange(sockets.Where(File.Exists).Select(s => new Uri("unix://" + s)));
        }

        foreach (var candidate in candidates)
        {
            if (await PingAsync(candidate, cancellationToken))
            {
                return candidate;
            }
        }

        return null;
    }

    private static async Task<bool> PingAsync(Uri endpoint, CancellationToken cancellationToken)
    {
        EndPoint? target = endpoint.Scheme switch
        {
            "unix" => new UnixDomainSocketEndPoint(endpoint.AbsolutePath),
            "tcp" or "http" or "https" => new DnsEndPoint(endpoint.Host, endpoint.Port),
            _ => null, // ssh://, npipe://: not something to probe cheaply
        };
        if (target is null)
        {
            return false;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(1.5));
        try
        {
            using var socket = target is UnixDomainSocketEndPoint
                ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
                : new Socket(SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(target, timeout.Token);
            await socket.SendAsync("GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n"u8.ToArray(), SocketFlags.None, timeout.Token);
            var buffer = new byte[128];
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            var status = Encoding.ASCII.GetString(buffer, 0, read);

            // A TLS-protected engine answers a plain request with 400, which still proves an engine is there.
            var tls = !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DOCKER_TLS_VERIFY"));
            return status.StartsWith("HTTP/1.", StringComparison.Ordinal) && (tls || status.Contains(" 200 ", StringComparison.Ordinal));
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return false;
        }
    }

    /// <summary>The folder of the PostgreSQL server binaries (initdb, pg_ctl): on PATH, else the newest under /usr/lib/postgresql.</summary>
    internal static string? FindServerBinaries()
    {
        static bool HasBoth(string dir) => File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl"));

        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .FirstOrDefault(HasBoth);
        if (onPath is not null)
        {
            return onPath;
        }

        const string root = "/usr/lib/postgresql";
        return Directory.Exists(root)
            ? Directory.GetDirectories(root)
                .Select(d => Path.Combine(d, "bin"))
                .Where(HasBoth)
                .OrderByDescending(d => double.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), CultureInfo.InvariantCulture, out var v) ? v : 0)
                .FirstOrDefault()
            : null;
    }

    private static bool RunningAsRoot()
    {
        if (Environment.UserName == "root")
        {
            return true;
        }

        try
        {
            // "Uid:  real  effective  saved  fs"
            var uid = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal));
            return uid is not null && uid.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries) is [_, _, "0", ..];
        }
        catch (IOException)
        {
            return false;
        }
    }

    private sealed record ProcessResult(int ExitCode, string StandardOutput, string StandardError)
    {
        public override string ToString() =>
            $"exit code {ExitCode}; stdout: {StandardOutput.Trim()}; stderr: {StandardError.Trim()}";
    }

    private static async Task<ProcessResult> RunAsync(
        string file, IEnumerable<string> args, string? runAsUser, string? workingDirectory, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo
        {
            FileName = runAsUser is null ? file : "runuser",
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? string.Empty,
        };
        if (runAsUser is not null)
        {
            foreach (var a in new[] { "-u", runAsUser, "--", file })
            {
                info.ArgumentList.Add(a);
            }
        }

        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {info.FileName}.");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
            }

            cancellationToken.ThrowIfCancellationRequested();
            throw new TimeoutException($"{Path.GetFileName(file)} did not finish within {timeout.TotalSeconds:0} s.");
        }

        return new ProcessResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>
    /// A cluster in a temp folder, on a free port, torn down on dispose, or by a watchdog once the test process is gone
    /// (killed, Ctrl-C, a fixture never disposed).
    /// </summary>
    private static class LocalCluster
    {
        private const string OsUser = "postgres";
        private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(30);

        // Runs detached from the test process (so killing its process tree spares it): waits while the test process
        // lives and the folder exists; if the process dies first, stops the cluster and deletes the folder.
        // $1 pg_ctl, $2 folder, $3 OS user to run pg_ctl as (may be empty), $4 test process id.
        private const string WatchdogScript = """
            (
              while kill -0 "$4" 2>/dev/null && [ -d "$2" ]; do sleep 1; done
              if [ -d "$2" ]; then
                if [ -f "$2/data/postmaster.pid" ]; then
                  if [ -n "$3" ]; then runuser -u "$3" -- "$1" stop -D "$2/data" -m immediate -w; else "$1" stop -D "$2/data" -m immediate -w; fi
                fi
                rm -rf "$2"
              fi
            ) </dev/null >/dev/null 2>&1 &
            """;

        public static async Task<PostgresServer> StartAsync(string bin, CancellationToken cancellationToken)
        {
            var runAs = RunningAsRoot() ? OsUser : null;
            if (runAs is not null && (await RunAsync("id", ["-u", runAs], null, null, TimeSpan.FromSeconds(10), cancellationToken)).ExitCode != 0)
            {
                throw new InvalidOperationException(
                    $"Running as root, the tests need the '{runAs}' OS user to run PostgreSQL (initdb refuses root), and it does not exist: install the postgresql package, which creates it.");
            }

            var folder = await CreateFolderAsync(runAs, cancellationToken);
            var data = Path.Combine(folder, "data");
            var log = Path.Combine(folder, "server.log");
            var pgCtl = Path.Combine(bin, "pg_ctl");

            async ValueTask Cleanup()
            {
                if (File.Exists(Path.Combine(data, "postmaster.pid")))
                {
                    try
                    {
                        await RunAsync(pgCtl, ["stop", "-D", data, "-m", "immediate", "-w", "-t", "10"], runAs, folder, TimeSpan.FromSeconds(20), CancellationToken.None);
                    }
                    catch (TimeoutException)
                    {
                    }
                }

                DeleteFolder(folder);
            }

            try
            {
                var watchdog = await RunAsync("sh", ["-c", WatchdogScript, "sh", pgCtl, folder, runAs ?? string.Empty, Environment.ProcessId.ToString(CultureInfo.InvariantCulture)],
                    null, null, TimeSpan.FromSeconds(10), cancellationToken);
                if (watchdog.ExitCode != 0)
                {
                    throw new InvalidOperationException($"Could not start the watchdog of the test cluster in {folder}: {watchdog}");
                }

                var initdb = await RunAsync(Path.Combine(bin, "initdb"),
                    ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"],
                    runAs, folder, TimeSpan.FromSeconds(120), cancellationToken);
                if (initdb.ExitCode != 0)
                {
                    throw new InvalidOperationException($"initdb failed for the test cluster in {folder}: {initdb}");
                }

                // A free port can be taken between the probe and the start: retry a few times.
                for (var attempt = 1; ; attempt++)
                {
                    var port = LoopbackPort.Free();
                    var options = $"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off " +
                                  "-c full_page_writes=off -c max_connections=200";
                    var start = await RunAsync(pgCtl,
                        ["start", "-D", data, "-o", options, "-l", log, "-w", "-t", ((int)ReadyTimeout.TotalSeconds).ToString(CultureInfo.InvariantCulture)],
                        runAs, folder, ReadyTimeout + TimeSpan.FromSeconds(10), cancellationToken);
                    if (start.ExitCode == 0)
                    {
                        var cs = $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=true;Maximum Pool Size=100";
                        await WaitUntilReadyAsync(cs, log, cancellationToken);

                        async Task RestartInRecovery(CancellationToken token)
                        {
                            var stop = await RunAsync(pgCtl, ["stop", "-D", data, "-m", "fast", "-w", "-t", "30"], runAs, folder, TimeSpan.FromSeconds(40), token);
                            if (stop.ExitCode != 0)
                            {
                                throw new InvalidOperationException($"pg_ctl stop failed for the test cluster in {folder}: {stop}");
                            }

                            var signal = await RunAsync("touch", [Path.Combine(data, "standby.signal")], runAs, folder, TimeSpan.FromSeconds(10), token);
                            var again = await RunAsync(pgCtl,
                                ["start", "-D", data, "-o", options, "-l", log, "-w", "-t", ((int)ReadyTimeout.TotalSeconds).ToString(CultureInfo.InvariantCulture)],
                                runAs, folder, ReadyTimeout + TimeSpan.FromSeconds(10), token);
                            if (signal.ExitCode != 0 || again.ExitCode != 0)
                            {
                                throw new InvalidOperationException($"The test cluster in {folder} did not start again in recovery: {signal}; {again}");
                            }

                            await WaitUntilReadyAsync(cs, log, token);
                        }

                        return new PostgresServer(cs, $"local cluster in {folder}", Cleanup, RestartInRecovery, log);
                    }

                    var serverLog = File.Exists(log) ? await File.ReadAllTextAsync(log, CancellationToken.None) : string.Empty;
                    var portTaken = serverLog.Contains("Address already in use", StringComparison.OrdinalIgnoreCase);
                    if (!portTaken || attempt == 3)
                    {
                        throw new InvalidOperationException($"pg_ctl start failed for the test cluster in {folder} (port {port}): {start}\nserver log:\n{serverLog}");
                    }

                    File.Delete(log);
                }
            }
            catch
            {
                await Cleanup();
                throw;
            }
        }

        /// <summary>A temp folder the postgres OS user owns (and can reach) when running as root.</summary>
        private static async Task<string> CreateFolderAsync(string? runAs, CancellationToken cancellationToken)
        {
            var folder = Directory.CreateTempSubdirectory("provisioning-pg-").FullName;
            if (runAs is null)
            {
                return folder;
            }

            foreach (var candidate in new[] { folder, null })
            {
                // The second try is under /tmp, for a TMPDIR the postgres user cannot traverse (e.g. under /root).
                var dir = candidate ?? Directory.CreateDirectory(Path.Combine("/tmp", "provisioning-pg-" + Guid.NewGuid().ToString("N")[..8])).FullName;
                try
                {
                    var chown = await RunAsync("chown", ["-R", runAs, dir], null, null, TimeSpan.FromSeconds(10), cancellationToken);
                    if (chown.ExitCode != 0)
                    {
                        throw new InvalidOperationException($"chown {runAs} {dir} failed: {chown}");
                    }

                    var access = await RunAsync("test", ["-w", dir, "-a", "-x", dir], runAs, null, TimeSpan.FromSeconds(10), cancellationToken);
                    if (access.ExitCode == 0)
                    {
                        return dir;
                    }
                }
                catch
                {
                    DeleteFolder(dir);
                    throw;
                }

                DeleteFolder(dir);
            }

            throw new InvalidOperationException($"The '{runAs}' OS user cannot write a temp folder (tried {Path.GetTempPath()} and /tmp): make /tmp world-writable or set TMPDIR.");
        }

        private static async Task WaitUntilReadyAsync(string connectionString, string log, CancellationToken cancellationToken)
        {
            var deadline = Stopwatch.StartNew();
            var probe = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, Timeout = 5 }.ConnectionString;
            while (true)
            {
                try
                {
                    await using var connection = new NpgsqlConnection(probe);
                    await connection.OpenAsync(cancellationToken);
                    await using var command = new NpgsqlCommand("SELECT 1", connection);
                    await command.ExecuteScalarAsync(cancellationToken);
                    return;
                }
                catch (Exception ex) when ((ex is NpgsqlException or SocketException or TimeoutException) && deadline.Elapsed < ReadyTimeout)
                {
                    await Task.Delay(100, cancellationToken);
                }
                catch (Exception ex) when (ex is NpgsqlException or SocketException or TimeoutException)
                {
                    var serverLog = File.Exists(log) ? await File.ReadAllTextAsync(log, CancellationToken.None) : string.Empty;
                    throw new InvalidOperationException(
                        $"The test cluster did not accept connections within {ReadyTimeout.TotalSeconds:0} s: {ex.Message}\nserver log:\n{serverLog}", ex);
                }
            }
        }

        private static void DeleteFolder(string folder)
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
            }
        }
    }
}
