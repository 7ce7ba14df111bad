using Provisioning.WebApi.Hosting.Verbs;

namespace Provisioning.IntegrationTests.Fixtures;

/// <summary>
/// An operator verb run inside the test's process: the verbs' code with writers of its own, the settings given and its
/// service's log lines among what it says on standard error, without the 2 s of CPU a process of its own costs (the
/// runtime's start and a cold JIT). What only a process shows goes through <see cref="ServiceProcess"/>: an exit code after a
/// signal, the console's log format, the working folder, the environment as an operator sets it (here the settings given are
/// the command line's, over a settings folder's).
/// </summary>
public static class InProcessVerb
{
    /// <summary>
    /// Runs the verb <paramref name="args"/> with <paramref name="environment"/> (as <see cref="ServiceProcess.Start"/> takes it:
    /// <c>ConnectionStrings__Provisioning</c>), in the Production environment, and returns its exit code, its standard output and
    /// what it said on standard error, log lines included. The test process's own environment must not hold a setting of the
    /// service's that <paramref name="environment"/> does not give: the verb's configuration would read it (a process of its
    /// own is started without them). (<c>ASPNETCORE_</c> and <c>DOTNET_</c> variables are not looked at: a developer's shell
    /// has its own, and a verb reads none that matter but the environment's name, given here.)
    /// </summary>
    public static async Task<(int ExitCode, string Out, string Error)> RunAsync(IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        if (Environment.GetEnvironmentVariables().Keys.Cast<string>().FirstOrDefault(name =>
                ServiceProcess.IsServiceSetting(name) && !environment.Keys.Contains(name, StringComparer.OrdinalIgnoreCase)) is { } inherited)
        {
            throw new InvalidOperationException(
                $"The tests' environment sets {inherited}, which a verb run in the tests' process would read: unset it.");
        }

        var settings = new List<string> { "--environment=Production", "--Logging:Console:LogLevel:Default=None" };
        foreach (var (name, value) in environment)
        {
            settings.Add($"--{name.Replace("__", ":", StringComparison.Ordinal)}=" +
                         (value ?? throw new ArgumentException($"{name}: a setting removed is for a process's environment (ServiceProcess).", nameof(environment))));
        }

        await using var output = new StringWriter();
        await using var error = new StringWriter();
        var said = TextWriter.Synchronized(error);
        var exit = await OperatorCommands.InvokeAsync(args, new VerbConsole(output, said, settings, TakesSignals: false, new TextWriterLoggerProvider(said)));
        return (exit, output.ToString(), error.ToString());
    }

    /// <summary>
    /// A verb here (<see cref="RunAsync"/>); anything else, the service's start, in a process of its own (<see cref="ServiceProcess"/>),
    /// until it exits within <paramref name="timeout"/>.
    /// </summary>
    public static async Task<(int ExitCode, string Out, string Error)> RunOrStartAsync(
        IReadOnlyDictionary<string, string?> environment, TimeSpan timeout, params string[] args)
    {
        if (OperatorCommands.IsVerb(args))
        {
            return await RunAsync(environment, args);
        }

        await using var process = ServiceProcess.Start(environment, args);
        return (await process.WaitForExitAsync(timeout), process.StandardOutput, process.StandardError);
    }
}
