using System.Text.RegularExpressions;
using Provisioning.WebApi.Hosting;

namespace Provisioning.IntegrationTests.Documentation;

/// <summary>
/// Every setting a message, a comment, the README or a document names (<c>Provisioning:Secrets:MasterKey</c>,
/// <c>Provisioning__Jwt__Lifetime</c>) is one the service reads (<see cref="UnknownSettings.Known"/>), or a section of
/// them: a setting renamed in its options class and not in the sentences that tell an operator to set it would send
/// them to a name the service ignores (with a Warning, at best).
/// </summary>
public sealed partial class SettingNamesTests
{
    /// <summary>Misspellings given on purpose, as what the service warns about.</summary>
    private static readonly HashSet<string> Misspelt = ["Provisioning:TrustedProxy:0"];

    [GeneratedRegex(@"Provisioning(?::|__)[A-Za-z][A-Za-z0-9]*(?:(?::|__)[A-Za-z0-9]+)*")]
    private static partial Regex SettingName();

    [Fact]
    public void EverySettingNamed_IsOneTheServiceReads()
    {
        var root = Fixtures.NodeProject.RepositoryPath();
        var files = Directory.EnumerateFiles(Path.Combine(root, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                        && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Concat(Directory.EnumerateFiles(Path.Combine(root, "docs"), "*.md"))
            .Concat(Directory.EnumerateFiles(Path.Combine(root, "scripts")))
            .Append(Path.Combine(root, "README.md"))
            .Append(Path.Combine(root, "compose.yaml"))
            .Append(Path.Combine(root, "Dockerfile"))
            .ToList();
        var named = files.SelectMany(file => SettingName().Matches(File.ReadAllText(file))
                .Select(match => (Name: match.Value.Replace("__", ":", StringComparison.Ordinal), File: Path.GetRelativePath(root, file))))
            .ToList();
        Assert.Contains(named, n => n.Name == "Provisioning:Secrets:MasterKey");

        var unknown = named.Where(n => !Misspelt.Contains(n.Name) && !UnknownSettings.Known.Any(known =>
                IsOrHolds(known, n.Name)))
            .Select(n => $"{n.File}: {n.Name}").Distinct().ToList();
        Assert.True(unknown.Count == 0, "Not a setting of the service:\n" + string.Join("\n", unknown));
    }

    /// <summary>The setting itself, a section above it, or an element of it (an array's <c>:0</c>).</summary>
    private static bool IsOrHolds(string known, string name) =>
        name.Equals(known, StringComparison.OrdinalIgnoreCase)
        || known.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith(known + ":", StringComparison.OrdinalIgnoreCase);
}
