namespace Provisioning.WebApi.Hosting.Verbs;

/// <summary>
/// Where an operator verb writes its answer (<see cref="Output"/>: a key, the tree, for a script to read) and what it says
/// besides (<see cref="Error"/>), settings for its service in command-line form (<c>--Section:Key=value</c>, over the
/// configuration's), and a logger for its service's log lines besides the console's (<see cref="Logs"/>). <see cref="Standard"/>
/// for the published service: the process's console (the log lines on standard error), signals handled. A verb run inside
/// another process (a test's) has writers and a logger of its own and leaves Ctrl-C and SIGTERM to that process.
/// </summary>
internal sealed record VerbConsole(TextWriter Output, TextWriter Error, IReadOnlyList<string> Settings, bool TakesSignals, ILoggerProvider? Logs = null)
{
    public static VerbConsole Standard => new(Console.Out, Console.Error, [], TakesSignals: true);
}
