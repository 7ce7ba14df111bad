using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Provisioning.Infrastructure.Persistence;
using Provisioning.Infrastructure.Security;

namespace Provisioning.Infrastructure.Credentials;

/// <summary>
/// Listens for keys revoked by any instance (PostgreSQL LISTEN/NOTIFY, see <see cref="Revocation"/>) and
/// evicts them from this instance's credential cache, so revocation is immediate across a load-balanced
/// deployment. While it is not connected the cache is not trusted at all (every request asks the
/// database), and whenever it (re)connects it drops the whole cache, since notices sent while it was
/// away are lost. TCP keepalive finds a connection that died silently. It also confirms every
/// <see cref="RevocationBarrier"/> it reads, once the notices before it have been applied, and hands this instance's
/// writers the confirmations of the others; and it hears this instance's heartbeat, without which the cache lapses
/// (<see cref="CachedCredentialStore.HeartbeatTrust"/>). And it hands a finished master-key rotation's notice to
/// <see cref="RetiredMasterKeyWatch"/>, which it also asks on every connect to check whether this instance's key was retired.
/// Its connection lost or regained, it also has the v1.1 list's remembered page starts forgotten
/// (<see cref="OffsetAnchors.Clear"/>: the database may have been restored meanwhile).
/// </summary>
internal sealed class CredentialRevocationListener(
    SessionConnectionString connectionString, NpgsqlDataSource pool, CachedCredentialStore cache, RevocationBarrier barrier, ServiceInstance instance,
    RetiredMasterKeyWatch retiredKeys, OffsetAnchors anchors, ILogger<CredentialRevocationListener> logger)
    : DatabaseBackgroundService
{
    /// <summary>How often this instance sends itself a heartbeat through PostgreSQL (<see cref="CachedCredentialStore.HeartbeatTrust"/>).</summary>
    internal static readonly TimeSpan HeartbeatInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>This instance's own heartbeat channel (an identifier: the instance id is hex).</summary>
    private readonly string _heartbeatChannel = "provisioning_heartbeat_" + instance.Id;

    private readonly UnheardHeartbeats _unheard = new();

    /// <summary>Heartbeats heard too late to trust the cache by (<see cref="CachedCredentialStore.HeartbeatTrust"/>): said at most once a minute.</summary>
    private readonly Application.Common.Logging.OnceEvery _late = new(TimeProvider.System);

    public override void Dispose()
    {
        _late.Dispose();
        base.Dispose();
    }

    protected override async Task RunAsync(CancellationToken stoppingToken)
    {
        using var beats = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var heartbeat = SendHeartbeatsAsync(beats.Token);
        try
        {
            await ListenAsync(stoppingToken);
        }
        finally
        {
            await beats.CancelAsync();
            await heartbeat;
        }
    }

    /// <summary>
    /// A notice to itself every <see cref="HeartbeatInterval"/>, sent on a pooled connection (the listener's own is busy
    /// waiting): read back in commit order, it proves every notice sent before it was applied. A process that was stopped
    /// sends none meanwhile, so its cache lapses until it has caught up.
    /// </summary>
    private async Task SendHeartbeatsAsync(CancellationToken cancellationToken)
    {
        // The requests' own pool, not a pool of its own; not traced (twice a second: UntracedCommands).
        UntracedCommands.FromHere();
        using var timer = new PeriodicTimer(HeartbeatInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                // None while the listener is not listening: nobody would hear it. (A database in recovery refuses both the
                // listener's LISTEN and a heartbeat's NOTIFY, and its log got "cannot execute NOTIFY during recovery" twice a
                // second from each instance; a point-in-time restore probe.)
                if (!cache.IsConnected)
                {
                    continue;
                }

                try
                {
                    await using var connection = await pool.OpenConnectionAsync(cancellationToken);
                    await using var beat = new NpgsqlCommand("SELECT pg_notify($1, $2)", connection)
                    {
                        Parameters = { new() { Value = _heartbeatChannel }, new() { Value = cache.HeartbeatPayload() } },
                    };
                    await beat.ExecuteNonQueryAsync(cancellationToken);
                    if (_unheard.Sent(out var sent, out var heardBefore))
                    {
                        if (heardBefore)
                        {
                            logger.LogError(
                                "The credential revocation listener has heard none of the last {Sent} heartbeats this instance sent, " +
                                "though it heard them before on its connection. Most likely its session is on another PostgreSQL server than " +
                                "the one this instance's pool writes to (a failover whose old primary came back and takes writes: fence it, " +
                                "docs/operations.md \"Failover to a standby\"); else a pooler in transaction mode (\"PgBouncer\") or a stuck session. " +
                                "Revocations still hold meanwhile " +
                                "(no cached credential is trusted: every request reads its key), and every revoking request waits 2 s", sent);
                        }
                        else
                        {
                            logger.LogError(
                                "The credential revocation listener is connected but has heard none of the {Sent} heartbeats this instance " +
                                "sent since it connected: its LISTEN hears nothing. Most likely a connection pooler in transaction mode " +
                                "stands between the listener and PostgreSQL (PgBouncer pool_mode = transaction): set ConnectionStrings:ProvisioningSession " +
                                "to PostgreSQL itself or a pool in session mode, for the connections that keep a session (docs/operations.md, " +
                                "\"PgBouncer\"); or that setting names another database than ConnectionStrings:Provisioning. Revocations still " +
                                "hold meanwhile (no cached credential is trusted: every request reads its key), " +
                                "and every revoking request waits 2 s", sent);
                        }
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The database is away (or anything else): the cache lapses meanwhile, which is what is wanted, and the
                    // next tick tries again; the listener reports the outage.
                    logger.LogDebug("Heartbeat not sent ({Error})", e.GetType().Name);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task ListenAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromSeconds(1);
        var disconnected = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // The session string (the pool's unless ConnectionStrings:ProvisioningSession is set) with its defaults, on a
                // connection of its own, named as the listener.
                var builder = new NpgsqlConnectionStringBuilder(connectionString.Value)
                {
                    KeepAlive = 10,
                    ApplicationName = instance.ListenerConnectingApplicationName, // (named a listener once it listens, below)
                };
                await using var connection = Persistence.DataSources.CreateUnpooledConnection(builder.ConnectionString);
                // Raised on the thread reading the connection, one notice at a time, in the order they were committed.
                var toConfirm = new List<string>();
                connection.Notification += (_, e) =>
                {
                    switch (e.Channel)
                    {
                        case Revocation.Channel:
                            cache.Revoke(e.Payload);
                            break;
                        case RevocationBarrier.BarrierChannel when !barrier.ListenerHeardOwn(e.Payload):
                            toConfirm.Add(e.Payload);
                            break;
                        case var channel when channel == _heartbeatChannel:
                            if (cache.Heartbeat(e.Payload) is { } age && age >= CachedCredentialStore.HeartbeatTrust)
                            {
                                // Heard, but too late to prove anything: said, or the gauge's 0 and every key read from the
                                // database would go unexplained (a review).
                                _late.Say((count, since) => logger.LogWarning(
                                    "The credential revocation listener heard this instance's heartbeat {Age:F1} s after it was sent " +
                                    "({Count} time(s) since {Since:u}): its connection lags behind the pool's (a congested path to " +
                                    "PostgreSQL, the database far away, or the listener's session slowed), so cached credentials are " +
                                    "not trusted meanwhile and every request reads its key from the database; a revocation made here " +
                                    "waits up to 2 s for it", age.TotalSeconds, count, since));
                            }

                            if (_unheard.Heard())
                            {
                                logger.LogInformation("The credential revocation listener hears this instance's heartbeats again: cached credentials are trusted again");
                            }

                            break;
                        case RevocationBarrier.ConfirmedChannel:
                            barrier.Confirmed(e.Payload);
                            break;
                        case RetiredMasterKeyWatch.NoticeChannel:
                            retiredKeys.Heard(e.Payload, e.PID);
                            break;
                    }
                };
                await connection.OpenAsync(stoppingToken);
                // And the server's side of the keepalive: the session of an instance that vanished (its host gone, a network
                // cut) ends within ~25 s, so writers stop counting it among the instances they wait for. Set in the session
                // (a startup "options" parameter is refused by some PgBouncer setups); ignored on a Unix socket.
                await using (var listen = new NpgsqlCommand(
                    DependencyInjection.ServerKeepalives + "; " +
                    $"LISTEN {Revocation.Channel}; LISTEN {RevocationBarrier.BarrierChannel}; LISTEN {RevocationBarrier.ConfirmedChannel}; " +
                    $"LISTEN {RetiredMasterKeyWatch.NoticeChannel}; LISTEN {_heartbeatChannel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                // Named a listener only now, in a statement of its own: the LISTENs take effect when theirs commits, and a
                // writer that finds the name waits for this session's confirmation of a barrier it must hear.
                await using (var named = new NpgsqlCommand("SELECT set_config('application_name', $1, false)", connection)
                             { Parameters = { new() { Value = instance.ListenerApplicationName } } })
                {
                    await named.ExecuteNonQueryAsync(stoppingToken);
                }

                _unheard.Connected();
                cache.ListenerConnected();
                anchors.Clear();
                retiredKeys.Request(); // (a rotation's notice sent while away is lost)
                if (disconnected)
                {
                    // The last line an operator saw was "retrying in …" (a probe): say it is back, and what that cost.
                    logger.LogInformation("Credential revocation listener reconnected; credentials are read from the database again until cached anew");
                    disconnected = false;
                }

                delay = TimeSpan.FromSeconds(1);
                while (!stoppingToken.IsCancellationRequested)
                {
                    await connection.WaitAsync(stoppingToken);
                    // Barriers read while confirming (Npgsql raises notices during any command) are confirmed in the same
                    // turn: WaitAsync returns only on a new notice, which may not come.
                    while (toConfirm.Count > 0)
                    {
                        string[] tokens = [.. toConfirm];
                        toConfirm.Clear();
                        await barrier.ConfirmAsync(connection, tokens, stoppingToken);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                cache.ListenerDisconnected();
                _unheard.Disconnected();
                return;
            }
            catch (Exception ex)
            {
                cache.ListenerDisconnected();
                _unheard.Disconnected();
                anchors.Clear();
                disconnected = true;
                logger.LogWarning("Credential revocation listener disconnected ({Reason}); retrying in {Delay}",
                    Application.Common.Logging.FaultLog.Reason(ex), delay);
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
