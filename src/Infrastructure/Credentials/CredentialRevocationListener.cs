using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Provisioning.Infrastructure.Credentials;

/// <summary>
/// Listens for keys revoked by any instance (PostgreSQL LISTEN/NOTIFY, see <see cref="Revocation"/>) and
/// evicts them from this instance's credential cache, so revocation is immediate across a load-balanced
/// deployment. While it is not connected the cache is not trusted at all (every request asks the
/// database), and whenever it (re)connects it drops the whole cache, since notices sent while it was
/// away are lost. TCP keepalive finds a connection that died silently.
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
                var connectionString = new NpgsqlConnectionStringBuilder(configuration.GetConnectionString(DependencyInjection.ConnectionStringName))
                {
                    KeepAlive = 10,
                    Pooling = false,
                }.ConnectionString;
                await using var connection = new NpgsqlConnection(connectionString);
                connection.Notification += (_, e) =>
                {
                    if (Revocation.IsEverything(e.Payload))
                    {
                        cache.EvictAll();
                        return;
                    }

                    foreach (var id in Revocation.Parse(e.Payload))
                    {
                        cache.Evict(id);
                    }
                };
                await connection.OpenAsync(stoppingToken);
                await using (var listen = new NpgsqlCommand($"LISTEN {Revocation.Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                cache.ListenerConnected();
                delay = TimeSpan.FromSeconds(1);
                while (!stoppingToken.IsCancellationRequested)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                cache.ListenerDisconnected();
                return;
            }
            catch (Exception ex)
            {
                cache.ListenerDisconnected();
                logger.LogWarning("Credential revocation listener disconnected ({Error}); retrying in {Delay}", ex.GetType().Name, delay);
                try
                {
                    await Task.Delay(delay, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                delay = TimeSpan.FromSeconds(Math.Min(10, delay.TotalSeconds * 2));
            }
        }
    }
}
