using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Npgsql;
using Provisioning.Application.Common.Metrics;

namespace Provisioning.Infrastructure.Credentials;

/// <summary>
/// Makes a revocation hold on every instance before the request that made it is answered (API.md §12, "next request,
/// every instance"): a notice alone reaches the other instances a few milliseconds after the commit, and a client that
/// sends its next request to another instance at once could still be let in there.
/// <para>After a commit that revoked credentials, the writer sends a barrier notice. PostgreSQL delivers notices to every
/// listener in commit order, so an instance that has read the barrier has already evicted what the revocation named;
/// each instance's <see cref="CredentialRevocationListener"/> confirms every barrier it reads. The writer waits for the
/// confirmations of every instance whose listener was connected when it sent the barrier (named by the listener
/// connection's <c>application_name</c>), for at most <see cref="Timeout"/>. An instance whose listener connects later
/// drops its whole cache on connecting, and one whose listener is down trusts no cached entry, so neither needs to be
/// waited for, nor is one whose listener's session ends before it confirms (an instance stopping, or reconnecting: the
/// writer asks again every <see cref="Recheck"/> which sessions listen, by process id). One that let a barrier time out
/// (stalled) is not waited for again until it confirms one. While this instance's own listener is reconnecting (or has
/// not yet heard its first heartbeat), the writer waits for it (within the same timeout) before sending the barrier.
/// Instances must connect as one database role, or as roles that may see each other in <c>pg_stat_activity</c>.</para>
/// </summary>
internal sealed class RevocationBarrier(
    CachedCredentialStore cache, ServiceInstance instance, NpgsqlDataSource pool, ServiceMetrics metrics, ILogger<RevocationBarrier> logger)
{
    public const string BarrierChannel = "provisioning_credentials_barrier";
    public const string ConfirmedChannel = "provisioning_credentials_confirmed";

    /// <summary>How long a revoking request waits for the other instances before it answers anyway (and logs which did not confirm).</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan ListenerPoll = TimeSpan.FromMilliseconds(20);

    /// <summary>How long a writer waits for confirmations before asking again which listeners remain (some may have stopped).</summary>
    private static readonly TimeSpan Recheck = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// The instances whose listeners are connected now, but this one (by the listener sessions' <c>application_name</c>), with
    /// each session's process id: a listener that reconnected is the same name in another session.
    /// </summary>
    private const string OtherListenersSql =
        "SELECT substr(application_name, length($1) + 1), pid FROM pg_stat_activity " +
        "WHERE datname = current_database() AND left(application_name, length($1)) = $1 AND application_name <> $2";

    private readonly ConcurrentDictionary<string, Waiter> _waiting = new();

    /// <summary>
    /// Instances that let a barrier time out: not waited for again until they confirm one (they still receive every
    /// barrier and confirm it when they resume), so a stalled instance costs one timeout, not one per revocation.
    /// </summary>
    private readonly ConcurrentDictionary<string, byte> _silent = new();

    /// <summary>
    /// Waits until every other instance listening now has evicted what the transaction just committed revoked. Never
    /// throws: the revocation has committed, and an instance that cannot be reached trusts no cache or confirms late.
    /// </summary>
    public async Task WaitForEveryInstanceAsync(Persistence.ProvisioningDbContext db, CancellationToken cancellationToken)
    {
        if (instance.Verb is not null)
        {
            // An operator verb's process (the service built, never started: no listener) answers no client's request: the
            // instances get the revocation's notices at the commit, as always, and it could not hear their confirmations.
            // Said explicitly (ServiceInstance.RunsVerb), not inferred from a listener not started yet: a serving process's
            // first requests may come before its listener's first line has run.
            return;
        }

        // The confirmations reach this instance through its listener: while that is reconnecting (a cut of its session), wait
        // for it. A barrier sent once it is back still follows the revocation, so whoever confirms it has dropped the keys.
        // Timed by the monotonic clock: a wall clock stepped back (NTP) held the request as long as the step.
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        while (!cache.IsListening && System.Diagnostics.Stopwatch.GetElapsedTime(started) < Timeout)
        {
            try
            {
                await Task.Delay(ListenerPoll, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return; // the client left; what it asked for has committed
            }
        }

        if (!cache.IsListening)
        {
            metrics.RevocationUnconfirmed(ServiceMetrics.UnconfirmedListenerDown);
            logger.LogWarning(cache.IsConnected
                ? "A revocation was not confirmed by the other instances: this instance's revocation listener, connected, did not hear its own heartbeat within {Timeout} (see its Error, if it hears none)"
                : "A revocation was not confirmed by the other instances: this instance's revocation listener did not reconnect within {Timeout}", Timeout);
            return;
        }

        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        var waiter = new Waiter();
        _waiting[token] = waiter;
        var opened = false;
        // The barrier's own statement is held to the timeout too: the request's connection went back to the pool at the
        // commit, and a pool full meanwhile (or a database that stopped answering) held the request for the pool's or the
        // command's timeout (a review).
        using var sending = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        sending.CancelAfter(Timeout);
        try
        {
            // The request's own connection (the transaction has ended): opening it is inside the try, since the database
            // may have gone in the meantime, and what committed must still be answered.
            await db.Database.OpenConnectionAsync(sending.Token);
            opened = true;
            await using var batch = new NpgsqlBatch((NpgsqlConnection)db.Database.GetDbConnection())
            {
                BatchCommands =
                {
                    OtherListeners(),
                    new NpgsqlBatchCommand("SELECT pg_notify($1, $2)")
                    {
                        Parameters = { new() { Value = BarrierChannel }, new() { Value = token } },
                    },
                },
            };
            Dictionary<string, HashSet<int>> sessions;
            await using (var reader = await batch.ExecuteReaderAsync(sending.Token))
            {
                sessions = await ReadListenerSessionsAsync(reader, sending.Token);
            }

            var expected = sessions.Keys;

            // Back to the pool before waiting: a stalled instance must not hold a connection per revocation for the timeout.
            await db.Database.CloseConnectionAsync();
            opened = false;
            foreach (var gone in _silent.Keys.Except(expected))
            {
                _silent.TryRemove(gone, out _); // its session ended: a new one starts with an empty cache
            }

            var skipped = expected.Any(_silent.ContainsKey);
            waiter.Expect(expected.Where(instance => !_silent.ContainsKey(instance)));
            try
            {
                await WaitForConfirmationsAsync(waiter, sessions, cancellationToken);
                if (skipped)
                {
                    // Answered without waiting for an instance still silent since an earlier revocation: unconfirmed too.
                    metrics.RevocationUnconfirmed(ServiceMetrics.UnconfirmedInstancesSilent);
                }
            }
            catch (TimeoutException) when (!waiter.OwnSeen)
            {
                // This instance's listener never read its own barrier: it is the one not hearing (its session died unnoticed),
                // not the others, who are not held against it.
                metrics.RevocationUnconfirmed(ServiceMetrics.UnconfirmedOwnBarrierUnheard);
                logger.LogWarning("A revocation was not confirmed within {Timeout}: this instance's revocation listener did not hear its own barrier", Timeout);
            }
            catch (TimeoutException)
            {
                var unconfirmed = waiter.Unconfirmed().ToList();
                foreach (var instance in unconfirmed)
                {
                    _silent[instance] = 0;
                }

                // One that confirmed between the list and the marks (Confirmed found nothing to unmark then) is not silent.
                foreach (var confirmed in unconfirmed.Except(waiter.Unconfirmed()))
                {
                    _silent.TryRemove(confirmed, out _);
                }

                metrics.RevocationUnconfirmed(ServiceMetrics.UnconfirmedInstancesSilent);
                logger.LogWarning(
                    "A revocation was not confirmed within {Timeout} by the instance(s) {Instances}; answered anyway, and they are not " +
                    "waited for again until they confirm one", Timeout, string.Join(", ", unconfirmed));
            }
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            // The client left (whatever its going broke); what it asked for has committed, nobody waits for the answer.
        }
        catch (OperationCanceledException) when (sending.IsCancellationRequested)
        {
            metrics.RevocationUnconfirmed(ServiceMetrics.UnconfirmedBarrierNotSent);
            logger.LogWarning(
                "A revocation was not confirmed by the other instances: its barrier could not be sent within {Timeout} (no connection " +
                "free in the pool, or the database slow to answer); answered anyway", Timeout);
        }
        catch (Exception e)
        {
            // Whatever it was (most likely the database gone after the commit, when the other instances' listeners lose it too
            // and stop trusting their caches), the revocation has committed and is answered.
            metrics.RevocationUnconfirmed(ServiceMetrics.UnconfirmedFailed);
            logger.LogWarning("A revocation could not be confirmed by the other instances ({Reason})", Application.Common.Logging.FaultLog.Reason(e));
        }
        finally
        {
            _waiting.TryRemove(token, out _);
            if (opened)
            {
                await db.Database.CloseConnectionAsync();
            }
        }
    }

    /// <summary>
    /// Waits for <paramref name="waiter"/>'s confirmations for at most <see cref="Timeout"/> in all (then throws
    /// <see cref="TimeoutException"/>), asking every <see cref="Recheck"/> which of the unconfirmed instances still listen in
    /// the session they listened in when the barrier was sent (<paramref name="sessions"/>): one whose session has ended
    /// since will never confirm it, and answers no request (an instance stopping; one that reconnected, or comes back,
    /// started with an empty cache). The question runs on a connection of its own from the pool, raced against the
    /// confirmations and left behind at the deadline: a full pool or a hung database does not hold the request past it
    /// (a review). A failed question only ends the rechecks.
    /// </summary>
    private async Task WaitForConfirmationsAsync(Waiter waiter, IReadOnlyDictionary<string, HashSet<int>> sessions, CancellationToken cancellationToken)
    {
        // Timed by the monotonic clock, as the wait for this instance's own listener.
        var sent = System.Diagnostics.Stopwatch.GetTimestamp();
        TimeSpan Left() => Timeout - System.Diagnostics.Stopwatch.GetElapsedTime(sent);
        var recheck = true;
        while (true)
        {
            var left = Left();
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException();
            }

            var wait = recheck && left > Recheck ? Recheck : left;
            try
            {
                await waiter.Task.WaitAsync(wait, cancellationToken);
                return;
            }
            catch (TimeoutException) when (wait < left)
            {
            }

            left = Left();
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException();
            }

            // Raced against the confirmations and the deadline, and left behind by either: cancelled at the deadline, Npgsql
            // may still take a while to give the statement up (its cancel request, then its cancellation timeout).
            var ask = ListeningSessionsAsync(left, cancellationToken);
            Task first;
            try
            {
                first = await Task.WhenAny(waiter.Task, ask).WaitAsync(left, cancellationToken);
            }
            catch
            {
                Abandon(ask);
                throw; // the deadline (TimeoutException), or the client gone
            }

            if (first != ask)
            {
                Abandon(ask);
                return;
            }

            try
            {
                var listening = await ask;
                // Not waited for once none of the sessions it listened in when the barrier went out remains (an instance
                // can have two for a while: a new one, and an old one the server has not ended yet).
                waiter.Forget(waiter.Unconfirmed().Where(name => !listening.TryGetValue(name, out var now) || !now.Overlaps(sessions[name])));
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                // (its deadline, or a failure) the confirmations may still come; the question is not asked again
                logger.LogDebug("The revocation barrier's re-check of the listeners failed ({Reason})", Application.Common.Logging.FaultLog.Reason(e));
                recheck = false;
            }
        }
    }

    /// <summary>A re-check left running: it ends by its own deadline; its failure is nobody's business.</summary>
    private static void Abandon(Task ask) =>
        _ = ask.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);

    /// <summary>
    /// The other instances' listener sessions now (name → process ids), asked on a pooled connection of its own, given up
    /// after <paramref name="within"/>.
    /// </summary>
    private async Task<Dictionary<string, HashSet<int>>> ListeningSessionsAsync(TimeSpan within, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(within);
        await using var connection = await pool.OpenConnectionAsync(deadline.Token);
        await using var batch = new NpgsqlBatch(connection) { BatchCommands = { OtherListeners() } };
        await using var reader = await batch.ExecuteReaderAsync(deadline.Token);
        return await ReadListenerSessionsAsync(reader, deadline.Token);
    }

    /// <summary>Reads <see cref="OtherListenersSql"/>'s rows: each instance's listener sessions by process id.</summary>
    private static async Task<Dictionary<string, HashSet<int>>> ReadListenerSessionsAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        var sessions = new Dictionary<string, HashSet<int>>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var name = reader.GetString(0);
            if (!sessions.TryGetValue(name, out var pids))
            {
                sessions[name] = pids = [];
            }

            pids.Add(reader.GetInt32(1));
        }

        return sessions;
    }

    private NpgsqlBatchCommand OtherListeners() => new(OtherListenersSql)
    {
        Parameters = { new() { Value = ServiceInstance.ListenerPrefix }, new() { Value = instance.ListenerApplicationName } },
    };

    /// <summary>
    /// Whether a barrier read by this instance's listener is one this instance sent (nobody else waits for its
    /// confirmation); if so, notes for its writer that this instance's listener hears barriers.
    /// </summary>
    public bool ListenerHeardOwn(string? token)
    {
        if (token is not null && _waiting.TryGetValue(token, out var waiter))
        {
            waiter.OwnSeen = true;
            return true;
        }

        return false;
    }

    /// <summary>The listener's confirmation of a barrier it read: sent on its own connection, after the notices before it were applied.</summary>
    public async Task ConfirmAsync(NpgsqlConnection listener, IReadOnlyList<string> tokens, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(listener);
        foreach (var token in tokens)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT pg_notify($1, $2)")
            {
                Parameters = { new() { Value = ConfirmedChannel }, new() { Value = token + " " + instance.Id } },
            });
        }

        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>A confirmation read by this instance's listener: "token instanceId".</summary>
    public void Confirmed(string? payload)
    {
        var parts = payload?.Split(' ');
        if (parts is not [var token, var instance])
        {
            return;
        }

        _silent.TryRemove(instance, out _);
        if (_waiting.TryGetValue(token, out var waiter))
        {
            waiter.Confirm(instance);
        }
    }

    /// <summary>One barrier's confirmations, which may arrive before the writer has read whom to expect.</summary>
    private sealed class Waiter
    {
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly HashSet<string> _confirmed = [];
        private HashSet<string>? _expected;

        public Task Task => _done.Task;

        private volatile bool _ownSeen;

        /// <summary>This instance's listener read the barrier: it can hear confirmations, so a missing one is the other's.</summary>
        public bool OwnSeen
        {
            get => _ownSeen;
            set => _ownSeen = value;
        }

        public void Expect(IEnumerable<string> instances)
        {
            lock (_confirmed)
            {
                _expected = [.. instances];
                CompleteWhenAllConfirmed();
            }
        }

        public void Confirm(string instance)
        {
            lock (_confirmed)
            {
                _confirmed.Add(instance);
                CompleteWhenAllConfirmed();
            }
        }

        /// <summary>Instances not waited for any longer (their listeners' sessions ended before they confirmed).</summary>
        public void Forget(IEnumerable<string> instances)
        {
            lock (_confirmed)
            {
                _expected?.ExceptWith(instances);
                CompleteWhenAllConfirmed();
            }
        }

        public IEnumerable<string> Unconfirmed()
        {
            lock (_confirmed)
            {
                return [.. (_expected ?? []).Except(_confirmed)];
            }
        }

        private void CompleteWhenAllConfirmed()
        {
            if (_expected is not null && _expected.IsSubsetOf(_confirmed))
            {
                _done.TrySetResult();
            }
        }
    }
}
