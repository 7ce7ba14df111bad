using System.Globalization;
using System.Reflection;

namespace Provisioning.WebApi.Hosting;

/// <summary>
/// Which build this is, in one line: the version with the commit it was built from (the SDK appends it to the
/// informational version from the clone's git) and that commit's date, which docs/operations.md's "Upgrading" names builds
/// by. <c>--version</c> prints it, each instance's first line of its log says it, and traces carry it as
/// <c>service.version</c>. A build without its git history (a source archive, a container build without <c>.git</c>)
/// says that no commit was recorded; the Dockerfile's build arguments record one (docs/operations.md, "Upgrading").
/// </summary>
public static class BuildVersion
{
    /// <summary>The <see cref="AssemblyMetadataAttribute"/> the project file writes with the commit's date (ISO 8601).</summary>
    internal const string CommitDateKey = "CommitDate";

    /// <summary>The informational version: <c>1.0.0+&lt;commit&gt;</c>, or <c>1.0.0</c> when no commit was recorded.</summary>
    public static string Version { get; } = Informational(typeof(BuildVersion).Assembly);

    /// <summary>The line <c>--version</c> prints and the start's log carries, e.g. <c>1.0.0+3f2a… (committed 2026-12-06 15:55 UTC)</c>.</summary>
    public static string Description { get; } = Describe(Version, CommitDate(typeof(BuildVersion).Assembly));

    internal static string Describe(string informationalVersion, string? commitDate)
    {
        if (!informationalVersion.Contains('+'))
        {
            return $"{informationalVersion} (built without its git history: no commit recorded)";
        }

        return DateTimeOffset.TryParse(commitDate, CultureInfo.InvariantCulture, DateTimeStyles.None, out var committed)
            ? $"{informationalVersion} (committed {committed.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC)"
            : $"{informationalVersion} (commit date not recorded)";
    }

    private static string Informational(Assembly assembly) =>
        assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? assembly.GetName().Version?.ToString()
        ?? "unknown";

    internal static string? CommitDate(Assembly assembly) =>
        assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == CommitDateKey)?.Value;
}
