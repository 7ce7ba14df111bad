using Provisioning.Application.Common.Logging;

namespace Provisioning.Infrastructure.Security;

/// <summary>
/// Whether this instance's current master key is retired (a finished <c>rotate-secrets</c> moved the secrets away from it),
/// as this instance knows it: from the master-key checks that read the database (<see cref="MasterKeyCheck"/>, at start, at
/// each <c>/readyz</c>, on the watch's request) and the rotations' notices (<see cref="RetiredMasterKeyWatch"/>), which can
/// come in any order. Held by the <see cref="AesGcmSecretProtector"/> of that key, whose <c>Protect</c> refuses while it is;
/// disposed with it, so that a stop says what <see cref="Cleared"/> still holds back.
/// </summary>
public sealed class MasterKeyRetirement : IDisposable
{
    private volatile bool _retired;
    private readonly Lock _checks = new();
    private long _checksBegun;
    private long _retiredAtCheck;
    private bool _checked;

    /// <summary>Retired by a notice (<see cref="NoticeHeard"/>) that no check has confirmed yet.</summary>
    private bool _heardOnly;

    /// <summary>
    /// Whether the current key is held retired: found so by a master-key check (<see cref="MasterKeyCheck.Result.Retired"/>), or
    /// named by a rotation's notice no check has undone yet (<see cref="NoticeHeard"/>); a check that began before the latest
    /// finding or notice does not clear it (<see cref="CheckFound"/>). <see cref="AesGcmSecretProtector.Protect"/> then refuses, so that this
    /// instance writes no new secret under a key the database has left.
    /// </summary>
    public bool IsRetired => _retired;

    /// <summary>The times a check cleared it (<see cref="MasterKeyTurn.NoLongerRetired"/>), said at most once a minute.</summary>
    internal OnceEvery Cleared { get; } = new(TimeProvider.System);

    /// <summary>A master-key check is about to read the database: its number, for <see cref="CheckFound"/>.</summary>
    internal long CheckBegins() => Interlocked.Increment(ref _checksBegun);

    /// <summary>
    /// What check <paramref name="check"/> (<see cref="CheckBegins"/>) found. "Retired" stands against any check that
    /// began before it was found (or heard, <see cref="NoticeHeard"/>): a <c>/readyz</c> that read the database before a
    /// rotation committed, answering after the rotation's notice, must not clear it (the key leaves the retired list only
    /// through an older build's rotation back to it, or a notice no rotation sent, which a check begun afterwards finds).
    /// With <paramref name="sayIfTurned"/> (a running instance's check; a start refuses with its own sentence instead), what
    /// this changed, to be said once: <see cref="MasterKeyTurn.Retired"/> when the key turns retired after an earlier check
    /// found it was not, or this confirms a notice; <see cref="MasterKeyTurn.NoLongerRetired"/> when it clears it.
    /// </summary>
    internal MasterKeyTurn CheckFound(long check, bool retired, bool sayIfTurned)
    {
        lock (_checks)
        {
            var turn = MasterKeyTurn.None;
            if (retired)
            {
                if (sayIfTurned && _checked && (!_retired || _heardOnly))
                {
                    turn = MasterKeyTurn.Retired;
                }

                _retired = true;
                _heardOnly = false;
                // Moved on every finding, not only the first: a check begun before this one (or before a notice heard after
                // an earlier finding) must not clear it.
                _retiredAtCheck = Interlocked.Read(ref _checksBegun);
            }
            else if (check > _retiredAtCheck)
            {
                if (sayIfTurned && _retired)
                {
                    turn = MasterKeyTurn.NoLongerRetired;
                }

                _retired = false;
                _heardOnly = false;
            }

            _checked = true;
            return turn;
        }
    }

    /// <summary>
    /// A rotation's notice named this key: refused from now on, before any check confirms it (a straggler's pool may be busy
    /// with its own requests); against the checks begun before it, as a finding. The confirming check says it (see
    /// <see cref="CheckFound"/>): any session of the database can send a notice.
    /// </summary>
    internal void NoticeHeard()
    {
        lock (_checks)
        {
            if (!_retired)
            {
                _retired = true;
                _heardOnly = true;
            }

            _retiredAtCheck = Interlocked.Read(ref _checksBegun);
        }
    }

    public void Dispose() => Cleared.Dispose();
}
