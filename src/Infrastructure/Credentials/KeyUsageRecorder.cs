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
/// flush (and each tenant's <c>last_credential_use_at</c> in a second), so authentication never writes to the database on
/// the request path.
/// </summary>
internal sealed class KeyUsageRecorder(IServiceScopeFactory scopes, TimeProvider clock, ILogger<KeyUsageRecorder> logger)
    : DatabaseBackgroundService, IKeyUsageRecorder
{
    private static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(15);

    /// <summary>How often, and how far apart, the last flush at a stop tries again the uses whose key rows were held (5 s).</summary>
    internal int LastFlushAttempts { get; init; } = 20;

    internal TimeSpan LastFlushRetryDelay { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How long the last flush goes on once the host's shutdown timeout has passed (the drain of requests may have used it all).</summary>
    private static readonly TimeSpan PastTheShutdownTimeout = TimeSpan.FromSeconds(2);

    private ConcurrentDictionary<string, DateTimeOffset> _pending = new();

    /// <summary>
    /// One flush at a time: a stop whose shutdown timeout has passed does not wait for <see cref="RunAsync"/>, whose
    /// periodic flush may still be writing; the last flush swapped the batch under it, the periodic one, cancelled, kept its
    /// uses after that swap (lost), and the two skipped each other's key rows (a review).
    /// </summary>
    private readonly SemaphoreSlim _flushing = new(1, 1);

    /// <summary>How many uses the flush under way is writing (for the last flush's warning when it is given up).</summary>
    private int _writing;

    /// <summary>Set once the stop is done: a flush it gave up that ends later says nothing (the process is going; its services may be).</summary>
    private bool _stopped;

    /// <summary>
    /// The attempt the stop's last flush gave up, abandoned while still under way (its statement may reach PostgreSQL after
    /// the stop has returned); completed when there was none. For a test to wait for its end.
    /// </summary>
    internal Task AbandonedFlush { get; private set; } = Task.CompletedTask;

    /// <summary>
    /// Notes a use. A flush may swap the batch out between this reading it and writing into it, and take the batch's keys
    /// before the write lands: then the use goes into the new batch too (once more, harmless), not only into the one
    /// being written (where it was lost).
    /// </summary>
    public void Record(KeyId keyId)
    {
        var now = clock.GetUtcNow();
        var pending = Volatile.Read(ref _pending);
        pending[keyId.Value] = now;
        if (!ReferenceEquals(pending, Volatile.Read(ref _pending)))
        {
            _pending[keyId.Value] = now;
        }
    }

    /// <summary>
    /// Writes the uses noted since the last flush. On a failure they are kept for the next one (a later use of a key since
    /// is newer and wins), and the failure is thrown.
    /// </summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        await _flushing.WaitAsync(cancellationToken);
        try
        {
            var batch = Interlocked.Exchange(ref _pending, new ConcurrentDictionary<string, DateTimeOffset>());
            if (batch.IsEmpty)
            {
                return;
            }

            Volatile.Write(ref _writing, batch.Count);
            try
            {
                foreach (var skipped in await WriteAsync(batch, cancellationToken))
                {
                    Keep(skipped, batch[skipped]);
                }
            }
            catch
            {
                foreach (var (id, usedAt) in batch)
                {
                    Keep(id, usedAt);
                }

                throw;
            }
        }
        finally
        {
            Volatile.Write(ref _writing, 0);
            _flushing.Release();
        }
    }

    private void Keep(string id, DateTimeOffset usedAt) => _pending.AddOrUpdate(id, usedAt, (_, later) => later > usedAt ? later : usedAt);

    /// <summary>
    /// The keys in a statement of their own, then their tenants, locked in the order every statement that changes budgets
    /// locks tenants (root first, <c>ORDER BY cardinality(path)</c>; then by id): this write never holds one tenant's row
    /// while it waits for another's that a create holds. (One statement updating the tenants in the plan's order deadlocked
    /// with creates under budgets: 40P01 in a probe, creates stalled up to 19 s.) The keys' rows are not waited for: one that
    /// another transaction holds (a tenant's deletion, which deletes its keys in an order of its own and deadlocked with a
    /// flush holding some of them in a soak; a key's change) is skipped, and returned to be kept for the next flush.
    /// </summary>
    private async Task<List<string>> WriteAsync(ConcurrentDictionary<string, DateTimeOffset> batch, CancellationToken cancellationToken)
    {
        var ids = batch.Keys.ToArray();
        var times = ids.Select(id => batch[id]).ToArray();
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ProvisioningDbContext>();
        // The tenants from every key of the batch, not only those whose time moved: a batch kept after its second statement
        // failed finds its keys written already, and its tenants must still be.
        var rows = await db.Database.SqlQuery<TenantUse>(
            $"""
            WITH u AS (SELECT * FROM unnest({ids}::text[], {times}::timestamptz[]) AS u(id, used_at)),
            due AS (SELECT k.id FROM api_keys AS k JOIN u ON k.id = u.id WHERE k.last_used_at IS NULL OR k.last_used_at < u.used_at),
            locked AS MATERIALIZED (SELECT k.id FROM api_keys AS k WHERE k.id IN (SELECT id FROM due) FOR NO KEY UPDATE OF k SKIP LOCKED),
            written AS (
                UPDATE api_keys AS k SET last_used_at = u.used_at
                FROM u
                WHERE k.id = u.id AND k.id IN (SELECT id FROM locked) AND (k.last_used_at IS NULL OR k.last_used_at < u.used_at))
            SELECT k.tenant_id, max(u.used_at) AS used_at, NULL AS skipped_key_id
            FROM api_keys AS k JOIN u ON k.id = u.id GROUP BY k.tenant_id
            UNION ALL
            SELECT NULL, NULL, d.id FROM due AS d WHERE d.id NOT IN (SELECT id FROM locked)
            """).ToListAsync(cancellationToken);
        var skipped = rows.Where(row => row.SkippedKeyId is not null).Select(row => row.SkippedKeyId!).ToList();
        var tenants = rows.Where(row => row.TenantId is not null).ToList();
        if (tenants.Count == 0)
        {
            return skipped;
        }

        var tenantIds = tenants.Select(t => t.TenantId).ToArray();
        var tenantTimes = tenants.Select(t => t.UsedAt!.Value).ToArray();
        await db.Database.ExecuteSqlInterpolatedAsync(
            $"""
            WITH m AS (SELECT * FROM unnest({tenantIds}::text[], {tenantTimes}::timestamptz[]) AS m(id, used_at)),
            locked AS MATERIALIZED (
                SELECT t.id FROM tenants AS t JOIN m ON t.id = m.id
                WHERE t.last_credential_use_at IS NULL OR t.last_credential_use_at < m.used_at
                ORDER BY cardinality(t.path), t.id
                FOR NO KEY UPDATE OF t)
            UPDATE tenants AS t SET last_credential_use_at = m.used_at
            FROM m
            WHERE t.id = m.id AND t.id IN (SELECT id FROM locked)
              AND (t.last_credential_use_at IS NULL OR t.last_credential_use_at < m.used_at)
            """,
            cancellationToken);
        return skipped;
    }

    /// <summary>A tenant's latest use in the batch, or (<see cref="SkippedKeyId"/>) a key whose row another transaction held.</summary>
    private sealed record TenantUse(string? TenantId, DateTimeOffset? UsedAt, string? SkippedKeyId);

    protected override async Task RunAsync(CancellationToken stoppingToken)
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
    }

    /// <summary>
    /// Stops the periodic flushes, then flushes a last time. Here, not at the end of <see cref="RunAsync"/> (ExecuteAsync): since .NET 10
    /// that runs through <c>Task.Run</c> with the stopping token, so a stop that comes before the thread pool got to it (a
    /// start and stop close together, a busy host) cancels it unrun, and its last flush with it (the uses went with the
    /// process, silently; found by a test that failed only in the full suite).
    /// </summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await LastFlushAsync(cancellationToken);
        Volatile.Write(ref _stopped, true);
    }

    /// <summary>
    /// A use whose key row another transaction held is tried again for up to 5 s (a key's change holds the row for
    /// milliseconds; a tenant's deletion deletes the key with it, which leaves nothing to write) instead of going with the
    /// process. All of it within the host's shutdown timeout, which the drain of requests shares, and
    /// <see cref="PastTheShutdownTimeout"/> beyond it: then the flush under way is cancelled, and no longer waited for
    /// should it not end (a database that hangs answers neither the statement nor Npgsql's cancel request; with Npgsql's
    /// default timeouts the cancellation ends it, but not with <c>Command Timeout=0</c> and <c>Cancellation Timeout=0</c>).
    /// Not after a failure: an outage is logged once and what it kept is lost, as before.
    /// </summary>
    private async Task LastFlushAsync(CancellationToken shutdownTimedOut)
    {
        using var giveUp = new CancellationTokenSource();
        await using var timedOut = shutdownTimedOut.Register(() => giveUp.CancelAfter(PastTheShutdownTimeout));
        // The flush's statements under a relay of it: the timer that gives up runs the token's callbacks, Npgsql's cancel
        // request among them, and with a database that hangs it waited in that one before abandoning the flush (a review).
        var flushing = RelayedCancellation.Relay(giveUp.Token, out var relay);
        await using var relayed = relay;
        var started = clock.GetTimestamp();
        var flushed = false;
        Task<bool> underWay = Task.FromResult(true);
        try
        {
            for (var attempt = 1;
                 (flushed = await (underWay = FlushQuietlyAsync(flushing)).WaitAsync(giveUp.Token)) && !_pending.IsEmpty && attempt < LastFlushAttempts;
                 attempt++)
            {
                await Task.Delay(LastFlushRetryDelay, clock, giveUp.Token);
            }
        }
        catch (OperationCanceledException) when (giveUp.IsCancellationRequested)
        {
            AbandonedFlush = underWay;
            logger.LogWarning(
                "Key usage: the last use of {Keys} key(s) is not recorded (lastUsedAt): the host's shutdown timeout (HostOptions." +
                "ShutdownTimeout, which the requests' drain shares) ended this stop's last flush after {Seconds:0.0} s",
                _pending.Count + Volatile.Read(ref _writing), clock.GetElapsedTime(started).TotalSeconds);
            return;
        }

        if (flushed && !_pending.IsEmpty)
        {
            logger.LogWarning(
                "Key usage: the last use of {Keys} key(s) is not recorded (lastUsedAt): their rows were held by other transactions " +
                "for the {Seconds:0.0} s this stop waited (a tenant's deletion or a master-key rotation running)",
                _pending.Count, clock.GetElapsedTime(started).TotalSeconds);
        }
    }

    /// <summary>A flush; false when it failed (logged).</summary>
    private async Task<bool> FlushQuietlyAsync(CancellationToken cancellationToken)
    {
        try
        {
            await FlushAsync(cancellationToken);
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            if (Volatile.Read(ref _stopped))
            {
                return false;
            }

            DatabaseUnavailable.LogFailedPass(logger, ex, "Could not record key usage; it is kept for the next flush");
            // Refused as read-only by a session on a default since reset: with reads only and no /readyz probes, nothing
            // else noticed, and the flush failed every 15 s (a re-probe).
            using var scope = scopes.CreateScope();
            scope.ServiceProvider.GetRequiredService<StaleSessions>().Noticed(ex);
            return false;
        }
    }
}
