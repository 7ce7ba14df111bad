using Provisioning.WebApi.Hosting.Verbs;

namespace Provisioning.IntegrationTests.Fixtures;

/// <summary>
/// An operator verb run inside the test's process: the verbs' code with writers of its own and the settings given, without
/// the 2 s of CPU a process of its own costs (the runtime's start and a cold JIT). For what a verb answers and says. What
/// only a process shows goes through <see cref="ServiceProcess"/>: an exit code after a signal, the service's log lines on
/// standard error (not written here), the working folder, the environment as the operator sets it.
/// </summary>
public static class InProcessVerb
{
    /// <summary>
    /// Runs the verb <paramref name="args"/> with <paramref name="environment"/> (as <see cref="ServiceProcess.Start"/> takes it:
    /// <c>ConnectionStrings__Provisioning</c>), in the Production environment, and returns its exit code, its standard output and
    /// what it said on standard error.
    /// </summary>
    public static async Task<(int ExitCode, string Out, string Error)> RunAsync(IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        var settings = new List<string> { "--environment=Production", "--Logging:Console:LogLevel:Default=None" };
        foreach (var (name, value) in environment)
        {
            settings.Add($"--{name.Replace("__", ":", StringComparison.Ordinal)}=" +
                         (value ?? throw new ArgumentException($"{name}: a setting removed is for a process's environment (ServiceProcess).", nameof(environment))));
        }

        await using var output = new StringWriter();
        await using var error = new StringWriter();
        var exit = await OperatorCommands.InvokeAsync(args, new VerbConsole(output, error, settings, TakesSignals: false));
        return (exit, output.ToString(), error.ToString());
    }
}
