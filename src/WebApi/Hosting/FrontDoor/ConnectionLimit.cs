using System.Globalization;

namespace Provisioning.WebApi.Hosting.FrontDoor;

/// <summary>
/// How many connections the server holds at once when <c>Kestrel:Limits:MaxConcurrentConnections</c> does not say:
/// Kestrel's own default is no limit, and a noisy-neighbour probe that held idle connections open (nothing sent) took the
/// process past its open-files limit at about 20,000 and it exited ("Out of memory."), for every tenant. Below that limit by
/// <see cref="Reserve"/> (the database pool, files, the runtime's own), and at most <see cref="Ceiling"/>. Connections past
/// it are closed as they come, and said once a minute (<see cref="RejectedConnectionsLog"/>).
/// </summary>
public static class ConnectionLimit
{
    /// <summary>The most connections held by default (≈ 85 MB of connection state at the probe's 8.5 KB each).</summary>
    public const long Ceiling = 10_000;

    /// <summary>Open files kept for everything else: the database pool (100 by default), logs, the runtime's own.</summary>
    public const long Reserve = 500;

    /// <summary>The fewest connections held by default, whatever the open-files limit (a limit that low is a setup to fix).</summary>
    public const long Floor = 64;

    /// <summary>The setting that overrides the default (Kestrel's own name for it, which Kestrel itself does not read).</summary>
    public const string Setting = "Kestrel:Limits:MaxConcurrentConnections";

    /// <summary>The limit <see cref="Setting"/> gives (1 or more), or else the default for this process.</summary>
    public static long Configured(IConfiguration configuration)
    {
        if (configuration[Setting] is not { } text)
        {
            return For(ThisProcessesOpenFilesLimit());
        }

        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var limit) && limit >= 1
            ? limit
            : throw new StartupException($"{Setting} must be a whole number of connections, 1 or more; it is '{text}'.");
    }

    /// <summary>The default for a process whose open-files limit is <paramref name="openFiles"/> (null: none known, or unlimited).</summary>
    public static long For(long? openFiles) => openFiles is { } files ? Math.Clamp(files - Reserve, Floor, Ceiling) : Ceiling;

    /// <summary>
    /// The soft "Max open files" of a <c>/proc/&lt;pid&gt;/limits</c> text; null when it is unlimited or not there. Read in this
    /// process it is the hard limit (<c>ulimit -Hn</c>): the runtime raises its soft limit to the hard one as it starts.
    /// </summary>
    public static long? OpenFilesLimit(string procLimits)
    {
        foreach (var line in procLimits.Split('\n'))
        {
            if (line.StartsWith("Max open files", StringComparison.Ordinal))
            {
                var soft = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
                return long.TryParse(soft, NumberStyles.None, CultureInfo.InvariantCulture, out var files) ? files : null;
            }
        }

        return null;
    }

    /// <summary>This process's open-files limit (Linux), or null.</summary>
    public static long? ThisProcessesOpenFilesLimit()
    {
        try
        {
            return File.Exists("/proc/self/limits") ? OpenFilesLimit(File.ReadAllText("/proc/self/limits")) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
