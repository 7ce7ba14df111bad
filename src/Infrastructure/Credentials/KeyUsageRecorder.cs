using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Domain.Credentials;
using Provisioning.Infrastructure.Persistence;

namespace Provisioning.Infrastructure.Credentials;

/// <summary>
/// Coalesces "key used" events in memory and writes <c>last_used_at</c> in one statement per
/// flush (and each tenant's <c>last_credential_use_at</c> with it), so authentication never writes to the database on the
/// request path.
/// </summary>
internal sealed class KeyUsageRecorder(IServiceScopeFactory scopes, TimeProvider clock, ILogger<KeyUsageRecorder> logger)
    : BackgroundService, IKeyUsageRecorder
{
    private static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(15);

    private ConcurrentDictionary<string, DateTimeOffset> _pending = new();

    public void Record(KeyId keyId) => _pending[keyId.Value] = clock.GetUtcNow();

    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        var batch = Interlocked.Exchange(ref _pending, new ConcurrentDictionary<string, DateTimeOffset>());
        if (batch.IsEmpty)
        {
            return;
        }

        var ids = batch.Keys.ToArray();
        var times = ids.Select(id => batch[id]).ToArray();
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ProvisioningDbContext>();
        await db.Database.ExecuteSqlInterpolatedAsync(
            $"""
            WITH used AS (
                UPDATE api_keys AS k SET last_used_at = u.used_at
                FROM unnest({ids}::text[], {times}::timestamptz[]) AS u(id, used_at)
                WHERE k.id = u.id AND (k.last_used_at IS NULL OR k.last_used_at < u.used_at)
                RETURNING k.tenant_id, u.used_at)
            UPDATE tenants AS t SET last_credential_use_at = m.used_at
            FROM (SELECT tenant_id, max(used_at) AS used_at FROM used GROUP BY tenant_id) AS m
            WHERE t.id = m.tenant_id AND (t.last_credential_use_at IS NULL OR t.last_credential_use_at < m.used_at)
            """,
            cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(FlushInterval, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await FlushQuietlyAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException)
        {
        }

        await FlushQuietlyAsync(CancellationToken.None);
    }

    private async Task FlushQuietlyAsync(CancellationToken cancellationToken)
    {
        try
        {
            await FlushAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "Could not record key usage; it will be recorded on a later use");
        }
    }
}
