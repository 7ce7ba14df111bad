using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;
using Testcontainers.PostgreSql;

namespace Provisioning.IntegrationTests.Fixtures;

/// <summary>
/// A real PostgreSQL for the tests, chosen in this order:
/// <list type="number">
/// <item><c>PROVISIONING_TEST_DB</c>: a connection string to a server you run (used as is);</item>
/// <item>Testcontainers, when a Docker engine answers;</item>
/// <item>a throw-away local cluster made with the PostgreSQL server binaries (initdb/pg_ctl on PATH or under
/// /usr/lib/postgresql/*/bin), on a free loopback port in a temp folder, run as the <c>postgres</c> user when
/// running as root, stopped and deleted afterwards.</item>
/// </list>
/// If none is possible it fails with one sentence saying what to install. It never skips.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    public const string EnvironmentVariable = "PROVISIONING_TEST_DB";

    private readonly Func<ValueTask> _dispose;

    private PostgresServer(string connectionString, string description, Func<ValueTask> dispose)
    {
        ConnectionString = connectionString;
        Description = description;
        _dispose = dispose;
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

        if (await DockerAnswersAsync(cancellationToken))
        {
            var container = new PostgreSqlBuilder("postgres:16-alpine").Build();
            await container.StartAsync(cancellationToken);
            return new PostgresServer(container.GetConnectionString(), "Testcontainers", container.DisposeAsync);
        }

        var bin = FindServerBinaries();
        if (bin is null)
        {
            throw new InvalidOperationException(
                "No PostgreSQL available for the tests: set PROVISIONING_TEST_DB to a connection string, start a Docker engine, " +
                "or install the PostgreSQL server binaries (apt-get install -y postgresql).");
        }

        return await LocalCluster.StartAsync(bin, cancellationToken);
    }

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string name)
    {
        await using (var connection = new NpgsqlConnection(ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await command.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(ConnectionString) { Database = name }.ConnectionString;
    }

    /// <summary>Drops a database, closing its connections.</summary>
    public async Task DropDatabaseAsync(string name)
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE \"{name}\" WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }

    public ValueTask DisposeAsync() => _dispose();

    private static async Task<bool> DockerAnswersAsync(CancellationToken cancellationToken)
    {
        var host = Environment.GetEnvironmentVariable("DOCKER_HOST");
        if (string.IsNullOrEmpty(host) && !File.Exists("/var/run/docker.sock"))
        {
            return false;
        }

        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(3));
            var (exitCode, _) = await RunAsync("docker", ["info", "--format", "{{.ServerVersion}}"], null, timeout.Token);
            return exitCode == 0;
        }
        catch (Exception ex) when (ex is OperationCanceledException or System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    private static string? FindServerBinaries()
    {
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .FirstOrDefault(dir => File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl")));
        if (onPath is not null)
        {
            return onPath;
        }

        const string root = "/usr/lib/postgresql";
        return Directory.Exists(root)
            ? Directory.GetDirectories(root)
                .Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0)
                .FirstOrDefault()
            : null;
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, IEnumerable<string> args, string? runAsUser, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo
        {
            FileName = runAsUser is null ? file : "runuser",
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
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

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {file}.");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, (await stdout) + (await stderr));
    }

    /// <summary>A cluster in a temp folder, on a free port, torn down on dispose.</summary>
    private static class LocalCluster
    {
        public static async Task<PostgresServer> StartAsync(string bin, CancellationToken cancellationToken)
        {
            var runAs = Environment.UserName == "root" ? "postgres" : null;
            var folder = Directory.CreateTempSubdirectory("provisioning-pg-").FullName;
            var data = Path.Combine(folder, "data");
            if (runAs is not null)
            {
                var (idExit, _) = await RunAsync("id", ["-u", runAs], null, cancellationToken);
                if (idExit != 0)
                {
                    throw new InvalidOperationException(
                        "Running as root, the tests need the 'postgres' OS user to run PostgreSQL (initdb refuses root): install the postgresql package, which creates it.");
                }

                await Must(RunAsync("chown", ["-R", runAs, folder], null, cancellationToken), "chown");
            }

            async ValueTask Cleanup()
            {
                await RunAsync(Path.Combine(bin, "pg_ctl"), ["stop", "-D", data, "-m", "immediate", "-w"], runAs, CancellationToken.None);
                try
                {
                    Directory.Delete(folder, recursive: true);
                }
                catch (IOException)
                {
                }
            }

            try
            {
                await Must(RunAsync(Path.Combine(bin, "initdb"),
                    ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"], runAs, cancellationToken), "initdb");

                // A free port can be taken between the probe and the start: retry a few times.
                for (var attempt = 1; ; attempt++)
                {
                    var port = FreePort();
                    var options = $"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off " +
                                  "-c full_page_writes=off -c max_connections=200";
                    var (exit, output) = await RunAsync(Path.Combine(bin, "pg_ctl"),
                        ["start", "-D", data, "-o", options, "-l", Path.Combine(folder, "server.log"), "-w", "-t", "30"], runAs, cancellationToken);
                    if (exit == 0)
                    {
                        var cs = $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=true;Maximum Pool Size=100";
                        return new PostgresServer(cs, $"local cluster in {folder}", Cleanup);
                    }

                    if (attempt == 3)
                    {
                        var log = File.Exists(Path.Combine(folder, "server.log")) ? await File.ReadAllTextAsync(Path.Combine(folder, "server.log"), cancellationToken) : "";
                        throw new InvalidOperationException($"pg_ctl start failed: {output}\n{log}");
                    }
                }
            }
            catch
            {
                await Cleanup();
                throw;
            }
        }

        private static async Task Must(Task<(int ExitCode, string Output)> run, string what)
        {
            var (exit, output) = await run;
            if (exit != 0)
            {
                throw new InvalidOperationException($"{what} failed ({exit}): {output}");
            }
        }

        private static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
    }
}
