namespace Provisioning.Infrastructure.Credentials;

/// <summary>
/// Counts the heartbeats this instance sent since its revocation listener last connected, until that connection hears one.
/// A connection whose <c>LISTEN</c> succeeded and hears nothing — behind a pooler in transaction mode (PgBouncer
/// <c>pool_mode = transaction</c>), which binds the <c>LISTEN</c> to a server connection other clients then use — keeps
/// revocations safe (the cache is never trusted) but silently costs a key read on every request and 2 s on every
/// revocation (a probe): after <see cref="SayAfter"/> heartbeats sent and none heard it is said, then once a minute.
/// Counted by heartbeats sent, not by time: an instance stopped for a while (SIGSTOP) sends none meanwhile.
/// </summary>
internal sealed class UnheardHeartbeats
{
    /// <summary>
    /// Ten seconds of heartbeats: a listener that hears at all hears the first within one; the margin is for an instance
    /// starting under load, whose listener may be slow to read.
    /// </summary>
    internal const int SayAfter = 20;

    /// <summary>A minute of heartbeats: how often it is said again while nothing is heard.</summary>
    private const int SayAgainEvery = 120;

    private readonly Lock _lock = new();
    private int _sent;
    private bool _heard = true;

    /// <summary>The listener connected (and listens): nothing heard on this connection yet.</summary>
    public void Connected()
    {
        lock (_lock)
        {
            _sent = 0;
            _heard = false;
        }
    }

    /// <summary>The listener heard a heartbeat of this instance's.</summary>
    public void Heard()
    {
        lock (_lock)
        {
            _heard = true;
        }
    }

    /// <summary>The listener lost its connection (it says so itself): nothing to say until it connects again.</summary>
    public void Disconnected() => Heard();

    /// <summary>
    /// A heartbeat was sent: whether to say now that none has been heard, with <paramref name="sent"/> sent since connecting.
    /// (Under one lock with <see cref="Connected"/>: a count from before a connection is never judged by its flag.)
    /// </summary>
    public bool Sent(out int sent)
    {
        lock (_lock)
        {
            sent = ++_sent;
            return !_heard && sent >= SayAfter && (sent - SayAfter) % SayAgainEvery == 0;
        }
    }
}
