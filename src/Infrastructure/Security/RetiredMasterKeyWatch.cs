using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Provisioning.Application.Common.Logging;
using Provisioning.Infrastructure.Persistence;

namespace Provisioning.Infrastructure.Security;

/// <summary>
/// Tells this instance, the moment a finished <c>rotate-secrets</c> commits, that its master key is retired — an instance
/// left on the old key (a straggler of the rollout), which would go on writing secrets (keys, the stored answers of
/// requests with an <c>Idempotency-Key</c>) under a key the next configuration cannot read (a probe's straggler wrote 24
/// answers after the run's Done, replayed as 500 once the old key was dropped). The database refuses those writes itself
/// (<c>PX503</c>, migrations <c>SecretsUnderRetiredKeysRefused</c> and <c>StoredAnswersUnderRetiredKeysRefused</c>: the
/// guarantee, from any build, at any moment); this makes the instance refuse them before it does the work, in its own
/// terms, and keeps PostgreSQL's log (where operators alert on <c>PX503</c>) from an error per request. The run's last
/// step sends a notice with the fingerprints it retires (<see cref="MasterKeyCheck.CompleteRotationAsync"/>); the
/// credential listener hands it to <see cref="Heard"/>, which tells the protector at once, without a read (a straggler's
/// pool may be busy with its own requests), and the protector refuses to write
/// (<see cref="MasterKeyRetirement.IsRetired"/>): 503, the request's effect rolled back, its retry served by an
/// instance on the new key. Notices sent while the listener was away are lost: whenever it (re)connects it calls
/// <see cref="Request"/>, and the master-key check runs here, one at a time, off the listener's loop (it waits for a
/// pooled connection, which must not hold back revocations).
/// </summary>
public sealed class RetiredMasterKeyWatch(IServiceScopeFactory scopes, AesGcmSecretProtector protector, ILogger<RetiredMasterKeyWatch> logger)
    : DatabaseBackgroundService
{
    /// <summary>The notice a finished rotation sends (an identifier), with the fingerprints it retired, in hex, comma-separated.</summary>
    public const string NoticeChannel = "provisioning_master_key_retired";

    /// <summary>How long one check may take before it is given up and made again.</summary>
    internal static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    // One pending request at most: a request made while a check runs (the listener reconnecting again) makes one more
    // check after it (the running one may have read the database before what the reconnect missed).
    private readonly System.Threading.Channels.Channel<bool> _requests = System.Threading.Channels.Channel.CreateBounded<bool>(
        new System.Threading.Channels.BoundedChannelOptions(1) { FullMode = System.Threading.Channels.BoundedChannelFullMode.DropWrite });

    private int _completed;

    private readonly OnceEvery _notices = new(TimeProvider.System);

    /// <summary>How many checks have been made (for tests: the one on the listener's connect is done).</summary>
    internal int ChecksCompleted => Volatile.Read(ref _completed);

    /// <summary>Asks for a check: returns at once, from any thread.</summary>
    public void Request() => _requests.Writer.TryWrite(true);

    /// <summary>
    /// A write that failed: if the database refused it for a secret under a retired master key (<c>PX503</c>: this
    /// instance's key was retired and it did not hear the notice, its listener away), asks for a check, so that from the
    /// next request on the instance refuses such writes itself instead of sending each to the database to be refused.
    /// </summary>
    public void NoteFailedWrite(Exception exception)
    {
        if (DatabaseUnavailable.RetiredKeyRefusal(exception) is not null)
        {
            Request();
        }
    }

    /// <summary>
    /// A finished rotation's notice (<paramref name="payload"/>: the fingerprints it retired): this instance's key among them
    /// is retired from now on, and a check of the database is asked for, which says it at Error once it confirms. Any
    /// session of the database can send a notice: one no rotation sent (the database's retired keys do not hold this one) is
    /// undone by that check, begun after it, a moment later (a Warning), instead of standing until the next <c>/readyz</c>.
    /// </summary>
    public void Heard(string payload, int sender)
    {
        var mine = AesGcmSecretProtector.Fingerprint(protector.CurrentKeyId);
        if (!payload.Split(',').Contains(mine, StringComparer.OrdinalIgnoreCase))
        {
            return;
        }

        protector.Retirement.NoticeHeard();
        Request();
        // Said at once and then once a minute: a session sending such notices faster than a check answers keeps this
        // instance refusing, and no check ever clears or confirms it; the sender's process names it.
        _notices.Say((count, since) => logger.LogWarning(
            "A rotation's notice names this instance's master key as retired ({Count} since {Since:u}, the last from " +
            "PostgreSQL process {Sender}): refusing to store secrets until a check of the database confirms or denies it", count, since, sender));
    }

    public override void Dispose()
    {
        _notices.Dispose();
        base.Dispose();
    }

    protected override async Task RunAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var _ in _requests.Reader.ReadAllAsync(stoppingToken))
            {
                await CheckUntilAnsweredAsync(stoppingToken);
            }
        }
        catch (Exception) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping (a check cut short, its scope's services disposed): nothing to say.
        }
    }

    /// <summary>Checks (<see cref="MasterKeyCheck.VerifyAsync"/>, which tells the protector), again every second until the database answers.</summary>
    private async Task CheckUntilAnsweredAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        while (true)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            timeout.CancelAfter(CheckTimeout);
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<MasterKeyCheck>().VerifyAsync(timeout.Token);
                Interlocked.Increment(ref _completed);

                if (failures > 0)
                {
                    logger.LogInformation("Checked whether this instance's master key was retired, after {Failures} failed tries", failures);
                }

                return;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                if (failures++ == 0)
                {
                    // Once per failing streak; a check cut short by its own timeout is an outage's line, not a stack trace.
                    var failure = e is OperationCanceledException
                        ? new TimeoutException($"no connection from the pool and answer within {CheckTimeout.TotalSeconds:0} s")
                        : e;
                    DatabaseUnavailable.LogFailedPass(
                        logger, failure, "Could not check whether this instance's master key was retired; trying again a second after each try");
                }
            }

            await Task.Delay(RetryDelay, stoppingToken);
        }
    }
}
