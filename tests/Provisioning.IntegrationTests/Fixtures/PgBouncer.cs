using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Npgsql;

namespace Provisioning.IntegrationTests.Fixtures;

/// <summary>
/// A real PgBouncer in front of the tests' PostgreSQL, in the pool mode of the test's choosing, with a server pool small
/// enough that the clients' transactions share its sessions (as they do in production under load). Started from the
/// <c>pgbouncer</c> package's binary (as the <c>postgres</c> OS user when running as root: PgBouncer refuses root), on a
/// free loopback port, with its files in a folder of its own; stopped and deleted on dispose, or by a watchdog once the
/// test process is gone. Fails with what to install when it is missing; it never skips.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class PgBouncer : IAsyncDisposable
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(15);

    private readonly Process _process;
    private readonly string _folder;

    private PgBouncer(Process process, string folder, int port)
    {
        _process = process;
        _folder = folder;
        Port = port;
    }

    public int Port { get; }

    /// <summary>PgBouncer's log so far (for a failing test's message).</summary>
    public string Log => File.Exists(Path.Combine(_folder, "pgbouncer.log")) ? File.ReadAllText(Path.Combine(_folder, "pgbouncer.log")) : string.Empty;

    /// <summary><paramref name="connectionString"/> (of the PostgreSQL behind it) pointed at this PgBouncer instead.</summary>
    public string Through(string connectionString) =>
        new NpgsqlConnectionStringBuilder(connectionString) { Host = "127.0.0.1", Port = Port, SslMode = SslMode.Disable }.ConnectionString; // (no TLS here)

    /// <param name="server">A connection string to the PostgreSQL to pool (its host, port, user and password are used).</param>
    /// <param name="poolMode"><c>transaction</c> or <c>session</c>.</param>
    /// <param name="serverSessions">PgBouncer's <c>default_pool_size</c>: server sessions per database.</param>
    public static async Task<PgBouncer> StartAsync(string server, string poolMode, int serverSessions)
    {
        var binary = new[] { "/usr/sbin/pgbouncer", "/usr/bin/pgbouncer", "/usr/local/bin/pgbouncer" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException(
                "PgBouncer is not installed; the tests of the service behind a connection pooler run a real one: apt-get install -y pgbouncer.");
        var runAs = Environment.IsPrivilegedProcess ? "postgres" : null;

        // The postgres user's when running as root (PgBouncer writes its log and pid file there), nobody else's.
        var folder = Path.Combine("/tmp", "provisioning-pgbouncer-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var target = new NpgsqlConnectionStringBuilder(server);
        var port = LoopbackPort.Free();
        var password = string.IsNullOrEmpty(target.Password) ? string.Empty : $" password='{target.Password.Replace("'", "''", StringComparison.Ordinal)}'";
        var ini = Path.Combine(folder, "pgbouncer.ini");
        await File.WriteAllTextAsync(ini, $"""
            [databases]
            * = host={target.Host} port={target.Port} user={target.Username ?? "postgres"}{password}

            [pgbouncer]
            listen_addr = 127.0.0.1
            listen_port = {port}
            unix_socket_dir =
            auth_type = any
            pool_mode = {poolMode}
            default_pool_size = {serverSessions}
            max_client_conn = 1000
            ignore_startup_parameters = extra_float_digits
            logfile = {folder}/pgbouncer.log
            pidfile = {folder}/pgbouncer.pid
            """);
        File.SetUnixFileMode(ini, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        if (runAs is not null)
        {
            using var chown = Process.Start("chown", ["-R", runAs, folder]);
            await chown.WaitForExitAsync();
            if (chown.ExitCode != 0)
            {
                throw new InvalidOperationException($"chown {runAs} {folder} failed (exit code {chown.ExitCode}).");
            }
        }

        var info = new ProcessStartInfo { FileName = runAs is null ? binary : "runuser", UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in runAs is null ? new[] { ini } : ["-u", runAs, "--", binary, ini])
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start pgbouncer.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var bouncer = new PgBouncer(process, folder, port);
        try
        {
            // Stops it if the test process dies without disposing (killed, Ctrl-C).
            using (var watchdog = Process.Start(new ProcessStartInfo("sh")
                   {
                       ArgumentList =
                       {
                           "-c",
                           """(while kill -0 "$1" 2>/dev/null && [ -d "$2" ]; do sleep 1; done; [ -f "$2/pgbouncer.pid" ] && kill "$(cat "$2/pgbouncer.pid")"; rm -rf "$2") </dev/null >/dev/null 2>&1 &""",
                           "sh", Environment.ProcessId.ToString(CultureInfo.InvariantCulture), folder,
                       },
                       UseShellExecute = false,
                   }))
            {
                await watchdog!.WaitForExitAsync();
            }

            var deadline = DateTime.UtcNow + ReadyTimeout;
            while (true)
            {
                try
                {
                    await using var probe = new NpgsqlConnection(bouncer.Through(server));
                    await probe.OpenAsync();
                    // PgBouncer's, not another server's that took the port between its choice and PgBouncer's bind.
                    if (process.HasExited || !bouncer.Log.Contains($"listening on 127.0.0.1:{port}", StringComparison.Ordinal))
                    {
                        throw new InvalidOperationException($"Port {port} answered, but not as this PgBouncer; its log:\n{bouncer.Log}");
                    }

                    return bouncer;
                }
                catch (Exception e) when (e is NpgsqlException or SocketException && DateTime.UtcNow < deadline && !process.HasExited)
                {
                    await Task.Delay(100);
                }
                catch (Exception e)
                {
                    throw new InvalidOperationException($"PgBouncer did not start ({e.Message}); its log:\n{bouncer.Log}", e);
                }
            }
        }
        catch
        {
            await bouncer.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        catch (TimeoutException)
        {
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
