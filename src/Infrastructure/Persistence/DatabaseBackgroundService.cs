using Microsoft.Extensions.Hosting;

namespace Provisioning.Infrastructure.Persistence;

/// <summary>
/// A background service that talks to PostgreSQL. <see cref="RunAsync"/> is given a stopping token whose cancellation runs
/// its callbacks on the thread pool, not inside the host's stop: Npgsql answers a cancelled token by sending PostgreSQL a
/// cancel request, under a lock, in the token's callback, and with a database that hangs (its processes stopped, its
/// host gone without a reset) <see cref="BackgroundService.StopAsync"/>'s cancellation waited for that request — about
/// 30 s for the revocation listener, whose wait for notices is always under way (a probe) — before its own wait, which
/// the host's shutdown timeout bounds. Every background service here derives from this (an architecture test).
/// </summary>
public abstract class DatabaseBackgroundService : BackgroundService
{
    protected sealed override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Not disposed: its callbacks may still be running when the service has ended (it holds no timer).
        var relayed = new CancellationTokenSource();
        await using var relay = stoppingToken.Register(static source => _ = ((CancellationTokenSource)source!).CancelAsync(), relayed);
        await RunAsync(relayed.Token);
    }

    /// <summary>The service's work until <paramref name="stoppingToken"/> (set at once when the host stops it; its callbacks run apart).</summary>
    protected abstract Task RunAsync(CancellationToken stoppingToken);
}
