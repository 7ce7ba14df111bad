namespace Provisioning.WebApi.Hosting.Verbs;

/// <summary>
/// Where an operator verb writes its answer (<see cref="Output"/>: a key, the tree, for a script to read) and what it says
/// besides (<see cref="Error"/>), and settings for its service in command-line form (<c>--Section:Key=value</c>) on top of the
/// configuration's. <see cref="Standard"/> for the published service: the process's console, signals handled. A verb run
/// inside another process (a test's) has writers of its own and leaves Ctrl-C and SIGTERM to that process.
/// </summary>
internal sealed record VerbConsole(TextWriter Output, TextWriter Error, IReadOnlyList<string> Settings, bool TakesSignals)
{
    public static VerbConsole Standard => new(Console.Out, Console.Error, [], TakesSignals: true);
}
