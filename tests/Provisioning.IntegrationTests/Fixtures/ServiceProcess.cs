using System.Diagnostics;
using System.Reflection;
using System.Text;

namespace Provisioning.IntegrationTests.Fixtures;

/// <summary>
/// The service as an operator runs it: <c>dotnet Provisioning.WebApi.dll</c>, built next to the tests, in a process of
/// its own, configured through environment variables, with its standard output and error captured.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    private ServiceProcess(Process process)
    {
        _process = process;
    }

    public string StandardOutput
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    public string StandardError
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>The WebApi project's own build output (it has the runtime config that the test output lacks).</summary>
    public static string AssemblyPath
    {
        get
        {
            var configuration = typeof(ServiceProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
            var path = NodeProject.RepositoryPath("src", "WebApi", "bin", configuration, "net10.0", "Provisioning.WebApi.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException($"Build the solution first: {path} is missing.");
        }
    }

    /// <summary>
    /// Whether an environment variable is one of the service's settings (read into its configuration: <c>Provisioning__</c>,
    /// <c>ConnectionStrings__</c>, and where it listens, which <c>healthcheck</c> also reads without a URL): the test
    /// process's own are never the service's (a process is started without them; <see cref="InProcessVerb"/> refuses them).
    /// </summary>
    public static bool IsServiceSetting(string name) =>
        Provisioning.WebApi.Hosting.SettingShapes.IsTheServices(name) || name.Equals("URLS", StringComparison.OrdinalIgnoreCase);

    /// <summary>Starts the service with these settings (environment form, e.g. <c>ConnectionStrings__Provisioning</c>) and arguments.</summary>
    public static ServiceProcess Start(IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            // Started from elsewhere, as an operator might: the service must still find its appsettings.json.
            WorkingDirectory = Path.GetTempPath(),
        };
        info.ArgumentList.Add(AssemblyPath);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("ASPNETCORE_", StringComparison.Ordinal)
                                                            || k.StartsWith("DOTNET_", StringComparison.Ordinal)
                                                            || IsServiceSetting(k)).ToList())
        {
            info.Environment.Remove(name);
        }

        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        var process = new Process { StartInfo = info };
        var service = new ServiceProcess(process);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (service._stdout)
                {
                    service._stdout.AppendLine(e.Data);
                }
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (service._stderr)
                {
                    service._stderr.AppendLine(e.Data);
                }
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return service;
    }

    /// <summary>Waits for the process to end by itself and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"The service did not exit within {timeout}. stdout:\n{StandardOutput}\nstderr:\n{StandardError}");
        }

        _process.WaitForExit(); // Flushes the redirected streams.
        return _process.ExitCode;
    }

    /// <summary>Waits until the service prints the address it listens on (its banner or the hosting log) and <c>/readyz</c> answers 200.</summary>
    public async Task<Uri> WaitUntilReadyAsync(Func<string, Uri?> findAddress, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        while (deadline.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The service exited with {_process.ExitCode}. stdout:\n{StandardOutput}\nstderr:\n{StandardError}");
            }

            if (findAddress(StandardOutput) is { } address)
            {
                try
                {
                    using var ready = await client.GetAsync(new Uri(address, "/readyz"));
                    if (ready.IsSuccessStatusCode)
                    {
                        return address;
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    // Not yet (a cold process's first /readyz can take longer than the client's 2 s on a busy host: a CI run
                    // failed there, 2026-12-07): asked again until the deadline.
                }
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"The service was not ready within {timeout}. stdout:\n{StandardOutput}\nstderr:\n{StandardError}");
    }

    /// <summary>Stops the service as Ctrl-C would (SIGINT... here SIGTERM, which the host handles the same way).</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited)
        {
            return;
        }

        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        await WaitForExitAsync(TimeSpan.FromSeconds(30));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }
}
