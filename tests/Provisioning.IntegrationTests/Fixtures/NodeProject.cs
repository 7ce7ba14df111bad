using System.Diagnostics;
using System.Text;

namespace Provisioning.IntegrationTests.Fixtures;

/// <summary>
/// Runs a Node package's tests against the running service: installs its locked dependencies with
/// <c>npm ci</c> when needed, optionally builds it, then runs <c>node --test</c> with the service's
/// address and an account key in the environment. Node and npm must be on PATH (a clear failure otherwise).
/// </summary>
public static class NodeProject
{
    private static readonly SemaphoreSlim InstallGate = new(1, 1);

    public static string RepositoryPath(params string[] parts) =>
        Path.GetFullPath(Path.Combine([Path.GetDirectoryName(typeof(NodeProject).Assembly.Location)!, "..", "..", "..", "..", "..", .. parts]));

    public static async Task RunTestsAsync(string directory, ServiceFixture service, string keyId, string secret, bool build = false)
    {
        await InstallGate.WaitAsync();
        try
        {
            if (!File.Exists(Path.Combine(directory, "node_modules", ".package-lock.json")))
            {
                await RunAsync(directory, "npm", ["ci", "--no-audit", "--no-fund"], null, TimeSpan.FromMinutes(5));
            }

            if (build)
            {
                await RunAsync(directory, "npm", ["run", "build"], null, TimeSpan.FromMinutes(2));
            }
        }
        finally
        {
            InstallGate.Release();
        }

        var environment = new Dictionary<string, string>
        {
            ["PROVISIONING_URL"] = service.BaseAddress.ToString().TrimEnd('/'),
            ["PROVISIONING_KEY_ID"] = keyId,
            ["PROVISIONING_SECRET"] = secret,
        };
        await RunAsync(directory, "node", ["--test", "--test-reporter=spec", "test/"], environment, TimeSpan.FromMinutes(3));
    }

    private static async Task RunAsync(string directory, string file, string[] args, IDictionary<string, string>? environment, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(file)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new InvalidOperationException($"'{file}' was not found: install Node.js 20 or later with npm to run the client tests.");
        }

        using (process)
        {
            var output = new StringBuilder();
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            using var cancel = new CancellationTokenSource(timeout);
            try
            {
                await process.WaitForExitAsync(cancel.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish within {timeout}:\n{output}");
            }

            Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)} in {directory} exited with {process.ExitCode}:\n{output}");
        }
    }
}
