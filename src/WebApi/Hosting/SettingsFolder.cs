using Microsoft.Extensions.Configuration.CommandLine;
using Microsoft.Extensions.Configuration.Memory;

namespace Provisioning.WebApi.Hosting;

/// <summary>
/// Settings given as files, one per setting, in the folder <see cref="Setting"/> names: each file is named as the setting's
/// environment variable (<c>Provisioning__Secrets__MasterKey</c>) and holds its value (a line end at its end, LF or CR LF,
/// is not part of it). Docker's and Kubernetes' secrets arrive as such files: a master key, a connection string with its
/// password or a bootstrap secret given so is not in the process's environment, which <c>docker inspect</c>,
/// <c>/proc/&lt;pid&gt;/environ</c> and every child process see. Read once at start (a changed file is read by the next
/// start). A file wins over the same setting in appsettings.json and in the environment; the command line wins over it.
/// </summary>
public static class SettingsFolder
{
    public const string Setting = "Provisioning:SettingsFolder";

    /// <summary>The largest file read as a setting's value: a key, a connection string or a name is far smaller.</summary>
    private const int MaxFileLength = 64 * 1024;

    /// <summary>Adds the folder's files to <paramref name="configuration"/>, if <see cref="Setting"/> names one; a folder that cannot be read stops the start.</summary>
    public static void AddTo(ConfigurationManager configuration)
    {
        if (configuration[Setting] is not { Length: > 0 } folder)
        {
            return;
        }

        // Relative to the folder the service was started from, as any path an operator types (asked before the full path is
        // made, which throws for a path no folder can have, such as one with a NUL from a JSON file's "\u0000").
        if (!Directory.Exists(folder))
        {
            throw new StartupException($"{Setting} names '{folder}', which is not a folder (or not one this user may open): " +
                                       "give the folder that holds the setting files (a mounted secret's, such as /run/secrets).");
        }

        var path = Path.GetFullPath(folder);

        // Read here rather than by the framework's key-per-file provider, which keeps the CR of a Windows line end ("\r\n"):
        // a bootstrap secret saved so on Windows became the root key's secret with a CR at its end.
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var files = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase); // setting → the file that gave it
        try
        {
            // Files only: a Kubernetes secret volume's `..data` link and its timestamped folder, which the settings' own links
            // lead through, are folders.
            foreach (var file in new DirectoryInfo(path).EnumerateFiles())
            {
                // The size first, of what a link leads to (a secret volume's files are links; a link's own size is its target's
                // name's): a FIFO, a socket or a device says 0, and reading one would block the start or never end (a folder such
                // as /run given for /run/secrets holds them); a log file would be read whole.
                var length = (file.LinkTarget is null ? file : (FileInfo)file.ResolveLinkTarget(returnFinalTarget: true)!).Length;
                if (length > MaxFileLength)
                {
                    throw new StartupException($"{Setting}: the file {file.Name} in '{folder}' holds {length} bytes, more than a " +
                                               $"setting's value ({MaxFileLength / 1024} KiB at most): is '{folder}' the folder of the setting files?");
                }

                var value = length == 0 ? string.Empty : File.ReadAllText(file.FullName);
                value = value.EndsWith("\r\n", StringComparison.Ordinal) ? value[..^2] : value.EndsWith('\n') ? value[..^1] : value;
                if (value.Length == 0)
                {
                    // It would set the setting to nothing over the environment's value: "… is not set", with the value in sight.
                    throw new StartupException($"{Setting}: the file {file.Name} in '{folder}' is empty (or not a plain file: a FIFO, a " +
                                               "socket, a device); a setting given as a file holds its value (remove the file to leave " +
                                               "the setting to the environment or appsettings.json, or name the folder of the setting files).");
                }

                // Setting names are read without regard to case: two files for one setting would be one chosen by the
                // order the folder lists them in.
                var name = SettingName(file.Name);
                if (!files.TryAdd(name, file.Name))
                {
                    throw new StartupException($"{Setting}: the files {files[name]} and {file.Name} in '{folder}' give " +
                                               $"one setting, {name} (names are compared without regard to case): keep one.");
                }

                settings[name] = value;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StartupException($"{Setting}: a file in '{folder}' cannot be read ({e.GetType().Name}: {e.Message}); " +
                                       "the service's user must be able to read every file there.", e);
        }

        // Before the last command line (the host's settings come from it first too, before appsettings.json and the
        // environment), at the end when there is none.
        var sources = configuration.Sources;
        var commandLine = sources.Select((source, index) => source is CommandLineConfigurationSource ? index : -1).Max();
        sources.Insert(commandLine >= 0 ? commandLine : sources.Count, new MemoryConfigurationSource { InitialData = settings });
    }

    /// <summary>
    /// Says at start which settings came from the folder, by name (never a value): a secret mounted under a name that is not
    /// a setting's (<c>master.key</c>) is then seen to be read as one that the service does not know.
    /// </summary>
    public static void Say(IConfiguration configuration, ILogger logger)
    {
        if (configuration[Setting] is { Length: > 0 } folder && Directory.Exists(folder))
        {
            logger.LogInformation("Settings read from the files in {Folder} ({Setting}): {Settings}", folder, Setting,
                string.Join(", ", new DirectoryInfo(folder).EnumerateFiles().Select(file => SettingName(file.Name)).Order(StringComparer.Ordinal)));
        }
    }

    private static string SettingName(string fileName) => fileName.Replace("__", ConfigurationPath.KeyDelimiter, StringComparison.Ordinal);
}
