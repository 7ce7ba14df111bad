using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Provisioning.Domain.Credentials;

namespace Provisioning.Infrastructure.Credentials;

/// <summary>
/// Listens for keys revoked by any instance (PostgreSQL LISTEN/NOTIFY) and evicts them from this
/// instance's credential cache, so revocation is immediate across a load-balanced deployment.
/// Whenever it (re)connects it drops the whole cache, since notifications sent while it was away
/// are lost; until it is connected again the 60-second cache lifetime is the bound.
/// </summary>
internal sealed class CredentialRevocationListener(
    IConfiguration configuration, CachedCredentialStore cache, ILogger<CredentialRevocationListener> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(configuration.GetConnectionString(DependencyInjection.ConnectionStringName));
                connection.Notification += (_, e) =>
                {
                    foreach (var id in e.Payload.Split(',', StringSplitOptions.RemoveEmptyEntries))
                    {
                        cache.Evict(new KeyId(id));
                    }
                };
                await connection.OpenAsync(stoppingToken);
                await using (var listen = new NpgsqlCommand($"LISTEN {CredentialRevoker.Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                cache.EvictAll();
                delay = TimeSpan.FromSeconds(1);
                while (!stoppingToken.IsCancellationRequested)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                logger.LogWarning("Credential revocation listener disconnected ({Error}); retrying in {Delay}", ex.GetType().Name, delay);
                try
                {
                    await Task.Delay(delay, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                delay = TimeSpan.FromSeconds(Math.Min(30, delay.TotalSeconds * 2));
            }
        }
    }
}
