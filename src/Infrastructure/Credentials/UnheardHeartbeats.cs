namespace Provisioning.Infrastructure.Credentials;

/// <summary>
/// Counts the heartbeats this instance sent since its revocation listener last connected or last heard one. A connection
/// whose <c>LISTEN</c> succeeded and hears nothing — behind a pooler in transaction mode (PgBouncer
/// <c>pool_mode = transaction</c>), which binds the <c>LISTEN</c> to a server connection other clients then use — keeps
/// revocations safe (the cache is never trusted) but silently costs a key read on every request and 2 s on every
/// revocation (a probe): after <see cref="SayAfter"/> heartbeats sent and none heard it is said, then once a minute. So is a
/// connection that heard and then stops hearing: the pool writes to another server than the listener's session is on — a
/// failover whose old primary came back and takes the pool's writes (a probe: split brain, which only the 2 s warnings of
/// revocations showed) — or the session is stuck.
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
    private bool _connected;
    private int _sent;
    private bool _heardOnThisConnection;
    private bool _said;

    /// <summary>The listener connected (and listens): nothing heard on this connection yet.</summary>
    public void Connected()
    {
        lock (_lock)
        {
            _connected = true;
            _sent = 0;
            _heardOnThisConnection = false;
            _said = false; // (the reconnection is said by the listener itself)
        }
    }

    /// <summary>
    /// The listener heard a heartbeat of this instance's: true when it had been said that none was heard, so that the end of
    /// it is said too (an operator who fenced an old primary saw the Error lines stop, and nothing say why).
    /// </summary>
    public bool Heard()
    {
        lock (_lock)
        {
            _sent = 0;
            _heardOnThisConnection = true;
            var wasSaid = _said;
            _said = false;
            return wasSaid;
        }
    }

    /// <summary>The listener lost its connection (it says so itself): nothing to say until it connects again.</summary>
    public void Disconnected()
    {
        lock (_lock)
        {
            _connected = false;
        }
    }

    /// <summary>
    /// A heartbeat was sent: whether to say now that none has been heard, with <paramref name="sent"/> sent since connecting
    /// or since the last heard, and whether this connection heard one before (<paramref name="heardBefore"/>: then it stopped).
    /// (Under one lock with <see cref="Connected"/>: a count from before a connection is never judged by its flag.)
    /// </summary>
    public bool Sent(out int sent, out bool heardBefore)
    {
        lock (_lock)
        {
            sent = _connected ? ++_sent : 0;
            heardBefore = _heardOnThisConnection;
            var say = _connected && sent >= SayAfter && (sent - SayAfter) % SayAgainEvery == 0;
            _said |= say;
            return say;
        }
    }
}
