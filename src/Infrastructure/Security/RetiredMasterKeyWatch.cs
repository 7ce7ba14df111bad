using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Provisioning.Infrastructure.Persistence;

namespace Provisioning.Infrastructure.Security;

/// <summary>
/// Tells this instance, the moment a finished <c>rotate-secrets</c> commits, that its master key is retired — an instance
/// left on the old key (a straggler of the rollout). Its keys' creations the database refuses by itself (<c>PX503</c>),
/// but not the answers of requests with an <c>Idempotency-Key</c>, which it stores encrypted too: such an answer written
/// under a retired key is replayed as a 500 once that key leaves the configuration (24 of them in a probe, written after
/// the run's Done by a straggler that nothing stopped). The run's last step sends a notice
/// (<see cref="MasterKeyCheck.CompleteRotationAsync"/>); the credential listener hears it and asks
/// <see cref="CheckAsync"/>, as it does whenever it (re)connects (notices sent while it was away are lost). The check
/// tells the protector, which then refuses to write (<see cref="AesGcmSecretProtector.CurrentKeyRetired"/>): 503, the
/// request's effect rolled back, its retry served by an instance on the new key. Left: an answer already encrypted when
/// the retirement commits (a request waiting on the last step's lock) is stored under the old key; a second run after
/// the straggler's restart moves it, as the run's closing line says.
/// </summary>
public sealed class RetiredMasterKeyWatch(IServiceScopeFactory scopes, AesGcmSecretProtector protector, ILogger<RetiredMasterKeyWatch> logger)
{
    /// <summary>The notice a finished rotation sends (an identifier; no payload: every instance checks its own key).</summary>
    public const string Channel = "provisioning_master_key_retired";

    private bool _failing;

    /// <summary>
    /// Checks whether this instance's key is retired (the protector is told: <see cref="MasterKeyCheck"/>), and says so once
    /// when it has just become so. False when the database could not say (logged once per failing streak): ask again.
    /// </summary>
    public async Task<bool> CheckAsync(CancellationToken cancellationToken)
    {
        var wasRetired = protector.CurrentKeyRetired;
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var result = await scope.ServiceProvider.GetRequiredService<MasterKeyCheck>().VerifyAsync(cancellationToken);
            _failing = false;
            if (result == MasterKeyCheck.Result.Retired && !wasRetired)
            {
                logger.LogError(
                    "A finished rotate-secrets retired this instance's master key: it now refuses every request that would store " +
                    "a secret (503: key creations, requests with an Idempotency-Key) and is not ready. {Sentence}", MasterKeyCheck.RetiredKeySentence);
            }

            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            if (!_failing)
            {
                DatabaseUnavailable.LogFailedPass(logger, e, "Could not check whether this instance's master key was retired; asking again");
                _failing = true;
            }

            return false;
        }
    }
}
