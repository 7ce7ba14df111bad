using System.Text.Json;
using Mediator;
using Microsoft.Extensions.Options;
using Provisioning.Application.Tenants.Commands.BootstrapRootTenant;
using Provisioning.Infrastructure;

namespace Provisioning.WebApi.Hosting;

/// <summary>What happens before the service takes requests: migrations, then the root tenant.</summary>
public static class Startup
{
    public static async Task PrepareDatabaseAsync(this WebApplication app, CancellationToken cancellationToken = default)
    {
        if (app.Services.GetRequiredService<IOptions<DatabaseOptions>>().Value.MigrateOnStartup)
        {
            await app.Services.MigrateDatabaseAsync(cancellationToken);
        }
        else if (await app.Services.HasPendingMigrationsAsync(cancellationToken))
        {
            throw new InvalidOperationException(
                "The database has pending migrations and Provisioning:Database:MigrateOnStartup is false. " +
                "Apply them first with 'dotnet Provisioning.WebApi.dll migrate' (same configuration), then start the service.");
        }

        await app.BootstrapRootTenantAsync(cancellationToken);
    }

    private static async Task BootstrapRootTenantAsync(this WebApplication app, CancellationToken cancellationToken)
    {
        var options = app.Services.GetRequiredService<IOptions<BootstrapOptions>>().Value;
        await using var scope = app.Services.CreateAsyncScope();
        var sender = scope.ServiceProvider.GetRequiredService<ISender>();
        var result = await sender.Send(new BootstrapRootTenantCommand(options.TenantName, options.KeyId, options.Secret), cancellationToken);
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Provisioning.Bootstrap");
        if (!result.Created)
        {
            logger.LogInformation("Root tenant {TenantId} exists", result.TenantId);
            return;
        }

        logger.LogInformation("Created root tenant {TenantId} with account key {KeyId}", result.TenantId, result.KeyId);
        if (!string.IsNullOrEmpty(options.RootKeyFile))
        {
            WriteRootKeyFile(options.RootKeyFile, result);
        }

        if (string.IsNullOrEmpty(options.Secret))
        {
            // The secret was made here and is shown this once, on the console only (never through the logger).
            var url = app.Configuration["urls"]?.Split(';')[0] ?? "http://127.0.0.1:8080";
            Console.Out.WriteLine(
                $"""

                 Root tenant created. Its account key is shown only now; keep it safe.
                   tenantId: {result.TenantId}
                   keyId:    {result.KeyId}
                   secret:   {result.Secret}
                 {(string.IsNullOrEmpty(options.RootKeyFile) ? string.Empty : $"  (also written to {options.RootKeyFile})")}
                 Try it:
                   curl -u '{result.KeyId}:{result.Secret}' {url}/v2/apps

                """);
        }
    }

    private static void WriteRootKeyFile(string path, BootstrapResult result)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        var json = JsonSerializer.Serialize(new { tenantId = result.TenantId, keyId = result.KeyId, secret = result.Secret },
            new JsonSerializerOptions { WriteIndented = true });
        var fileOptions = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var stream = new FileStream(path, fileOptions);
        using var writer = new StreamWriter(stream);
        writer.Write(json);
    }
}
