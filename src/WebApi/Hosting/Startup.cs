using System.Globalization;
using System.Runtime;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mediator;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using Provisioning.Application.Common.Exceptions;
using Provisioning.Application.Tenants.Commands.BootstrapRootTenant;
using Provisioning.Infrastructure;
using Provisioning.Infrastructure.Persistence;
using Provisioning.Infrastructure.Security;
using Provisioning.WebApi.Hosting.FrontDoor;

namespace Provisioning.WebApi.Hosting;

/// <summary>What happens before the service takes requests: migrations, the master-key check, then the root tenant.</summary>
public static class Startup
{
    public static async Task PrepareDatabaseAsync(this WebApplication app, CancellationToken cancellationToken = default)
    {
        SayWhichInstance(app.Services);
        await StartupChecks.RunAsync(() => app.Services.CheckSessionConnectionAsync(app.Configuration, cancellationToken), app.Configuration,
            DependencyInjection.SessionConnectionStringName);
        if (app.Services.GetRequiredService<IOptions<DatabaseOptions>>().Value.MigrateOnStartup)
        {
            await app.Services.MigrateDatabaseAsync(cancellationToken);
        }
        else
        {
            await app.Services.EnsureMigratedAsync("Provisioning:Database:MigrateOnStartup is false", cancellationToken);
        }

        await app.Services.CheckGrantsAsync(cancellationToken);
        await app.Services.WarnIfNamesCompareByCaseOnlyAsync(cancellationToken);
        await app.Services.WarnIfTheClocksDisagreeAsync(cancellationToken);
        await app.Services.CheckMasterKeyAsync(record: true, cancellationToken);
        await app.BootstrapRootTenantAsync(cancellationToken);
    }

    /// <summary>
    /// Names this instance (<see cref="ServiceInstance"/>) and its PostgreSQL sessions, so that an operator can go from a
    /// session in <c>pg_stat_activity</c> or a revocation's warning to the host whose log says this.
    /// </summary>
    private static void SayWhichInstance(IServiceProvider services)
    {
        var instance = services.GetRequiredService<ServiceInstance>();
        var sessions = new Npgsql.NpgsqlConnectionStringBuilder(services.GetRequiredService<DatabaseConnectionString>().Value).ApplicationName;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Provisioning.Instance");
        logger.LogInformation(
            "This is instance {InstanceId}: its PostgreSQL sessions are named '{ApplicationName}' in pg_stat_activity. Build {Build}",
            instance.Id, sessions, BuildVersion.Description);
        // The youngest generation's budget is most of what the process keeps resident above its live objects, and the GC
        // derives it from the host's L3 cache unless told (the project file's System.GC.Gen0MaxBudget; DOTNET_GC* variables).
        var gc = GC.GetConfigurationVariables();
        var budget = gc.TryGetValue("GCGen0MaxBudget", out var value) ? Convert.ToInt64(value, CultureInfo.InvariantCulture) : 0;
        var concurrent = gc.TryGetValue("ConcurrentGC", out var on) && on is true;
        logger.LogInformation("Garbage collection: {Collector}, {Concurrency}; gen-0 budget {Gen0Budget} (docs/operations.md \"Memory\")",
            GCSettings.IsServerGC ? "server" : "workstation", concurrent ? "concurrent" : "not concurrent",
            budget > 0 ? $"{budget / (1024 * 1024)} MiB" : "the runtime's own (from the L3 cache)");
    }

    /// <summary>A Warning when this instance's clock and the database's disagree (<see cref="DatabaseClock"/>).</summary>
    public static Task WarnIfTheClocksDisagreeAsync(this IServiceProvider services, CancellationToken cancellationToken) =>
        services.GetRequiredService<DatabaseClock>().CheckAsync(cancellationToken);

    /// <summary>Refuses a database with pending migrations, saying why they were not applied (<paramref name="because"/>).</summary>
    public static async Task EnsureMigratedAsync(this IServiceProvider services, string because, CancellationToken cancellationToken)
    {
        if (await services.HasPendingMigrationsAsync(cancellationToken))
        {
            throw new StartupException(
                $"The database has pending migrations and {because}. " +
                "Apply them first with 'dotnet Provisioning.WebApi.dll migrate' (same configuration), then try again.");
        }
    }

    /// <summary>Refuses a database role that cannot read and write the service's tables (<see cref="DatabaseGrants"/>).</summary>
    public static async Task CheckGrantsAsync(this IServiceProvider services, CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        if (await DatabaseGrants.MissingAsync(scope.ServiceProvider.GetRequiredService<ProvisioningDbContext>(), cancellationToken) is { } missing)
        {
            throw new StartupException(missing);
        }
    }

    /// <summary>
    /// Refuses a master key that does not decrypt the database's check value (<see cref="MasterKeyCheck"/>): the service at
    /// start-up and every operator verb that touches the database, so that nothing is encrypted under a key the service
    /// will refuse. <paramref name="record"/>: store a check value when the database has none yet (the service's start).
    /// </summary>
    public static async Task CheckMasterKeyAsync(this IServiceProvider services, bool record, CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        var check = scope.ServiceProvider.GetRequiredService<MasterKeyCheck>();
        var result = record ? await check.VerifyOrRecordAsync(cancellationToken) : await check.VerifyAsync(cancellationToken);
        if (MasterKeyCheck.Refusal(result) is { } refusal)
        {
            throw new StartupException(refusal);
        }
    }

    private static async Task BootstrapRootTenantAsync(this WebApplication app, CancellationToken cancellationToken)
    {
        var options = app.Services.GetRequiredService<IOptions<BootstrapOptions>>().Value;
        var command = options.ToCommand();
        BootstrapResult result;
        try
        {
            result = await SendInScopeAsync(app, command, cancellationToken);
        }
        catch (ConflictException)
        {
            // Another instance made the root between this one's look and its insert (instances started together on an
            // empty database; the single-root index let one through). Looking again, in a fresh scope, finds that root.
            result = await SendInScopeAsync(app, command, cancellationToken);
        }

        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Provisioning.Bootstrap");
        app.Services.GetRequiredService<BootstrapOutcome>().RootTenantId = result.TenantId;
        if (!result.Created)
        {
            logger.LogInformation("Root tenant {TenantId} exists", result.TenantId);
            if (result.ConfiguredKeyMissing)
            {
                logger.LogWarning(
                    "Provisioning:Bootstrap:KeyId {KeyId} is not a key of this database: the root tenant existed before this start, " +
                    "so the bootstrap settings were not used. Make a key with 'create-account-key --tenant root'.", options.KeyId);
            }

            return;
        }

        logger.LogInformation("Created root tenant {TenantId} with account key {KeyId}", result.TenantId, result.KeyId);
        app.Services.GetRequiredService<BootstrapOutcome>().Created = result;
        if (!string.IsNullOrEmpty(options.RootKeyFile))
        {
            // Written at once, before the server binds, so a failure to listen cannot lose the only copy of the secret. A file
            // that cannot be written does not stop the start (the root exists now): the key is printed, and only there.
            app.Services.GetRequiredService<BootstrapOutcome>().KeyFileWritten =
                KeepAnEarlierRootKeyFile(options.RootKeyFile, app.Services.GetRequiredService<TimeProvider>(), logger)
                && TryWriteRootKeyFile(options.RootKeyFile, new JsonObject
                {
                    ["tenantId"] = result.TenantId,
                    ["keyId"] = result.KeyId,
                    ["secret"] = result.Secret,
                }, logger);
        }
    }

    private static async Task<BootstrapResult> SendInScopeAsync(WebApplication app, BootstrapRootTenantCommand command, CancellationToken cancellationToken)
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<ISender>().Send(command, cancellationToken);
    }

    /// <summary>
    /// Once the server listens: records its URL in the root key file (every start, so the file follows the port) and,
    /// after a first start that made the root key, prints the key once on the console (never through the logger). Also
    /// when the server could not start (<paramref name="listening"/> false): the root was made, and its key would
    /// otherwise be lost to a port taken on the first start.
    /// </summary>
    public static void AnnounceRootKey(this WebApplication app, bool listening = true)
    {
        var options = app.Services.GetRequiredService<IOptions<BootstrapOptions>>().Value;
        var url = listening ? ListeningUrl(app) : "(none: the server did not start, see below)";
        var file = options.RootKeyFile;
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Provisioning.Bootstrap");
        var outcome = app.Services.GetRequiredService<BootstrapOutcome>();
        if (listening && !string.IsNullOrEmpty(file) && File.Exists(file))
        {
            try
            {
                // Only the file of this database's root: another root's (kept by the operator, or read by an instance
                // starting together with the one that made the root, before that one set it aside) is not written back.
                var json = JsonNode.Parse(File.ReadAllText(file)) as JsonObject;
                if (json is not null && outcome.RootTenantId is { } root && TenantOf(json) is { } named && named != root)
                {
                    logger.LogInformation(
                        "Provisioning:Bootstrap:RootKeyFile {File} holds the key of root tenant {Named}, not of this database's root " +
                        "{Root}: left as it is", file, named, root);
                }
                else if (json is not null)
                {
                    json["url"] = url;
                    if (TryWriteRootKeyFile(file, json, logger))
                    {
                        logger.LogInformation("Provisioning:Bootstrap:RootKeyFile {File} records the URL {Url}", file, url);
                    }
                }
            }
            catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
            {
                // Not ours to repair (edited by hand, or no longer readable): the URL is a convenience, the server runs.
                // A JSON error's message can quote the character it stopped at, and the file holds the root secret: its position only.
                var reason = e is JsonException json ? $"not valid JSON (line {json.LineNumber + 1}, byte {json.BytePositionInLine + 1})" : e.Message;
                logger.LogWarning("Provisioning:Bootstrap:RootKeyFile {File} was not updated with the URL: {Reason}", file, reason);
            }
        }

        var created = outcome.Created;
        outcome.Created = null;
        if (created is null || !string.IsNullOrEmpty(options.Secret))
        {
            return;
        }

        // A console that is the JSON log stream (the default outside scripts/run and Development) is shipped and kept by log
        // collectors: with the key safely in the root key file (mode 600), the secret is not printed there (an operator's
        // probe). Without the file it is, once: it would otherwise be lost.
        var inTheFile = outcome.KeyFileWritten && !string.IsNullOrEmpty(file);
        var secretKeptOut = inTheFile
                            && string.Equals(app.Configuration["Logging:Console:FormatterName"], "json", StringComparison.OrdinalIgnoreCase);
        var lines = new List<string>
        {
            string.Empty,
            secretKeptOut
                ? $"Root tenant created. Its account key (secret included) is in {Path.GetFullPath(file!)}, readable by this user only; " +
                  "the secret is not printed here, where the JSON log goes."
                : "Root tenant created. Its account key is shown only now; keep it safe.",
            $"  url:      {url}",
            $"  tenantId: {created.TenantId}",
            $"  keyId:    {created.KeyId}",
        };
        if (!secretKeptOut)
        {
            lines.Add($"  secret:   {created.Secret}");
            lines.Add(inTheFile ? $"  (also written to {file})" : string.Empty);
            // A Unix socket's address (http://unix:/run/provisioning.sock) is no URL curl takes: it takes the socket apart.
            var curl = ThisHost.UnixSocket(url) is { } socket
                ? $"curl --unix-socket '{socket}' -u '{created.KeyId}:{created.Secret}' http://localhost/v2/apps"
                : $"curl -u '{created.KeyId}:{created.Secret}' {url}/v2/apps";
            lines.Add(listening ? $"Try it:\n   {curl}\n" : "The next start will not show it again.\n");
        }

        Console.Out.WriteLine(string.Join('\n', lines.Select(line => line.Length == 0 ? line : " " + line)) + "\n");
    }

    /// <summary>The public base URL when configured, else the first address the server listens on (a wildcard host as 127.0.0.1).</summary>
    private static string ListeningUrl(WebApplication app)
    {
        if (app.Services.GetRequiredService<PublicUrls>().ConfiguredBaseUrl is { } configured)
        {
            return configured;
        }

        var address = app.Services.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
                      ?? app.Urls.FirstOrDefault()
                      ?? Program.DefaultUrl;
        return ThisHost.Reachable(address) ?? address.TrimEnd('/');
    }

    /// <summary>
    /// A root key file of this service's (a <c>tenantId</c> in it) that is already there when this start made the root holds
    /// the key of a root this database does not have (a new or emptied database, or the wrong one): it may be the only copy of
    /// that key, so it is kept beside the new one, renamed, not overwritten (a probe restored a copy of .data/ without its
    /// cluster, and the old root's key was replaced without a word). Said at Warning with the earlier root's tenant id, never
    /// its secret. Any other file (empty, made ready by a deployment) is written over, as before. False when it could not be
    /// kept aside: the new key is then not written there (it is printed).
    /// </summary>
    private static bool KeepAnEarlierRootKeyFile(string path, TimeProvider clock, ILogger logger)
    {
        if (RootTenantIn(path) is not { } earlierTenant)
        {
            return true;
        }

        var aside = $"{path}.replaced-{clock.GetUtcNow().ToString("yyyyMMdd-HHmmss-fff", System.Globalization.CultureInfo.InvariantCulture)}";
        try
        {
            File.Move(path, aside); // (never over another file)
            logger.LogWarning(
                "Provisioning:Bootstrap:RootKeyFile {File} held the key of root tenant {EarlierTenant}, which this database does not have; " +
                "it is kept as {Aside}. This database had no root tenant, so a new one was made: if the earlier root's data should " +
                "be here, this is not its database (check ConnectionStrings:Provisioning, or restore it: docs/operations.md, \"Backup and restore\")",
                path, earlierTenant, aside);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning(
                "Provisioning:Bootstrap:RootKeyFile {File} holds the key of root tenant {EarlierTenant}, which this database does not have, " +
                "and could not be kept aside ({Reason}): it is left as it is, and the new root's key is not written there", path, earlierTenant, e.Message);
            return false;
        }
    }

    /// <summary>The <c>tenantId</c> of a root key file as the service writes it, or null (no file, not readable, not ours).</summary>
    private static string? RootTenantIn(string path)
    {
        try
        {
            return File.Exists(path) && JsonNode.Parse(File.ReadAllText(path)) is JsonObject json ? TenantOf(json) : null;
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string? TenantOf(JsonObject json) =>
        json["tenantId"] is JsonValue id && id.TryGetValue<string>(out var tenant) && tenant.Length > 0 ? tenant : null;

    /// <summary>Writes the file, or logs a Warning saying why it could not (a folder that is a file, a read-only disk, rights).</summary>
    private static bool TryWriteRootKeyFile(string path, JsonObject json, ILogger logger)
    {
        try
        {
            WriteRootKeyFile(path, json);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("Provisioning:Bootstrap:RootKeyFile {File} cannot be written: {Reason}", path, e.Message);
            return false;
        }
    }

    private static void WriteRootKeyFile(string path, JsonObject json)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        // Always a new file (O_CREAT | O_EXCL: never an existing file nor a symbolic link followed, whose owner and mode it
        // would keep), so it is this process's, mode 600, whoever else can write in the folder.
        var fileOptions = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        // Written beside it and renamed over it, so a reader never sees a half-written file; under a name no one can guess
        // (a process id is: another user could have made that file first and read the secret through it), so that instances
        // sharing the file (started together) never write into one temporary file either.
        var temporary = $"{path}.{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8))}.tmp";
        try
        {
            using (var stream = new FileStream(temporary, fileOptions))
            using (var writer = new StreamWriter(stream))
            {
                writer.Write(json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            }

            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary); // (no error when it was never made)
            throw;
        }
    }
}
