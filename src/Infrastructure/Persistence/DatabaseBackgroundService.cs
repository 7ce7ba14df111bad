using Microsoft.Extensions.Hosting;

namespace Provisioning.Infrastructure.Persistence;

/// <summary>
/// A background service that talks to PostgreSQL. <see cref="RunAsync"/> is given a stopping token whose cancellation runs
/// its callbacks on the thread pool, not inside the host's stop (<see cref="RelayedCancellation"/>): with a database that
/// hangs, <see cref="BackgroundService.StopAsync"/>'s cancellation waited for Npgsql's cancel request — about 30 s for the
/// revocation listener, whose wait for notices is always under way (a probe) — before its own wait, which the host's
/// shutdown timeout bounds. Every background service here derives from this (an architecture test).
/// </summary>
public abstract class DatabaseBackgroundService : BackgroundService
{
    protected sealed override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var relayed = RelayedCancellation.Relay(stoppingToken, out var relay);
        await using (relay)
        {
            await RunAsync(relayed);
        }
    }

    /// <summary>The service's work until <paramref name="stoppingToken"/> (set at once when the host stops it; its callbacks run apart).</summary>
    protected abstract Task RunAsync(CancellationToken stoppingToken);
}
