using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Provisioning.Infrastructure.Persistence;
using Provisioning.Infrastructure.Security;

namespace Provisioning.WebApi.Hosting;

/// <summary>Ready when the database answers, has no pending migrations, and its secrets decrypt with the configured master key.</summary>
public sealed class DatabaseReadyHealthCheck(ProvisioningDbContext db, MasterKeyCheck masterKey) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            if (!await db.Database.CanConnectAsync(cancellationToken))
            {
                return HealthCheckResult.Unhealthy("The database is not reachable.");
            }

            var pending = await db.Database.GetPendingMigrationsAsync(cancellationToken);
            if (pending.Any())
            {
                return HealthCheckResult.Unhealthy("The database has pending migrations.");
            }

            return await masterKey.MatchesAsync(cancellationToken)
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy("The configured master key does not decrypt this database's secrets.");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy("The database is not reachable.");
        }
    }
}

/// <summary>
/// <c>/healthz</c> (the process runs) and <c>/readyz</c> (it can serve). They answer in the pipeline before authentication
/// and the rate limiter (Program.cs): no credentials, no limit, no database for <c>/healthz</c>.
/// </summary>
public static class HealthProbes
{
    public const string Live = "/healthz";
    public const string Ready = "/readyz";
}
