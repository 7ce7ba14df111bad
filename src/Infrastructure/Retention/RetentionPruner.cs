using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Provisioning.Infrastructure.Persistence;

namespace Provisioning.Infrastructure.Retention;

/// <summary>
/// Deletes idempotency records and audit events past their retention, in batches of <see cref="BatchSize"/> rows, each
/// batch its own short statement that skips rows another instance is deleting (<c>SKIP LOCKED</c>): no long lock, no
/// long transaction, and every instance may run it at once. "Past" by the database's clock, which stamps both (event ids,
/// stored answers' <c>created_at</c>): an instance whose clock ran a year ahead deleted every event and stored answer at
/// its start (a probe), and its retried requests then ran again.
/// </summary>
public sealed class RetentionPruner(
    IServiceScopeFactory scopes, IOptions<RetentionOptions> options, TimeProvider clock, ILogger<RetentionPruner> logger) : DatabaseBackgroundService
{
    public const int BatchSize = 1000;

    /// <summary>One pass: prunes everything that has expired. Returns how many idempotency records and events went.</summary>
    public async Task<(int IdempotencyRecords, int AuditEvents)> PruneAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ProvisioningDbContext>();
        var now = await db.Database.SqlQuery<DateTimeOffset>($"SELECT now() AS \"Value\"").SingleAsync(cancellationToken);
        var keysBefore = now.AddHours(-options.Value.IdempotencyRetentionHours);
        var eventsBefore = now.AddDays(-options.Value.AuditRetentionDays);
        var records = await DeleteInBatchesAsync(() => db.Database.ExecuteSqlInterpolatedAsync(
            $"""
            DELETE FROM idempotency_records WHERE (scope, key) IN (
                SELECT scope, key FROM idempotency_records WHERE created_at < {keysBefore}
                ORDER BY created_at LIMIT {BatchSize} FOR UPDATE SKIP LOCKED)
            """, cancellationToken));
        // Events by id, which starts with the time it was made (no index on created_at to keep up on every event written).
        // An event's viewer rows go with it, in the same statement (they carry no foreign key: checking one on every
        // event written cost more than deleting them here).
        // (Read with ToList: a data-modifying WITH cannot be wrapped in the subquery that Single would compose.)
        var events = await DeleteInBatchesAsync(async () => (await db.Database.SqlQuery<int>(
            $"""
            WITH gone AS (
                DELETE FROM audit_events WHERE id IN (
                    SELECT id FROM audit_events WHERE id < {Domain.Common.IdGenerator.LowestAt(eventsBefore)}
                    ORDER BY id LIMIT {BatchSize} FOR UPDATE SKIP LOCKED)
                RETURNING id),
            viewers AS (DELETE FROM audit_event_viewers WHERE event_id IN (SELECT id FROM gone))
            SELECT count(*)::int AS "Value" FROM gone
            """).ToListAsync(cancellationToken)).Single());
        return (records, events);
    }

    protected override async Task RunAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(options.Value.IntervalMinutes), clock);
        try
        {
            do
            {
                try
                {
                    var (records, events) = await PruneAsync(stoppingToken);
                    if (records + events > 0)
                    {
                        logger.LogInformation("Pruned {Records} idempotency records and {Events} audit events past their retention", records, events);
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    DatabaseUnavailable.LogFailedPass(logger, ex, "Could not prune expired idempotency records and audit events; the next pass will");
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static async Task<int> DeleteInBatchesAsync(Func<Task<int>> deleteBatch)
    {
        var total = 0;
        int deleted;
        do
        {
            deleted = await deleteBatch();
            total += deleted;
        }
        while (deleted == BatchSize);
        return total;
    }
}
