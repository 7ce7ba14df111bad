using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Time.Testing;
using Provisioning.Infrastructure.Credentials;

namespace Provisioning.UnitTests.Infrastructure;

/// <summary>
/// The credential cache is trusted only while the revocation listener keeps hearing its own heartbeat: an instance that
/// was stopped (SIGSTOP, a long pause) past the barrier's timeout must not answer its queued requests from the cache
/// before its listener has read what was sent meanwhile (a probe: 1–3 of 30 queued requests let a revoked key in).
/// </summary>
public sealed class CredentialCacheTrustTests
{
    [Fact]
    public void TheCacheLapses_WhenNoHeartbeatWasHeard_ForLessThanTheBarriersTimeout()
    {
        Assert.True(CachedCredentialStore.HeartbeatTrust < RevocationBarrier.Timeout);
        Assert.True(CredentialRevocationListener.HeartbeatInterval * 2 < CachedCredentialStore.HeartbeatTrust);

        var clock = new FakeTimeProvider();
        using var memory = new MemoryCache(new MemoryCacheOptions());
        var store = new CachedCredentialStore(null!, memory, clock, null!, null!, null!, null!);
        Assert.False(store.IsListening); // not before the listener is connected

        store.ListenerConnected();
        Assert.False(store.IsListening); // not before it has heard a heartbeat of its own (below)
        store.Heartbeat(store.HeartbeatPayload());
        Assert.True(store.IsListening);
        clock.Advance(CachedCredentialStore.HeartbeatTrust - TimeSpan.FromMilliseconds(1));
        Assert.True(store.IsListening);
        clock.Advance(TimeSpan.FromMilliseconds(2));
        Assert.False(store.IsListening); // stopped, or not hearing: asks the database

        store.Heartbeat(store.HeartbeatPayload()); // caught up
        Assert.True(store.IsListening);
        store.ListenerDisconnected();
        Assert.False(store.IsListening);
    }

    [Fact]
    public void ALaggingListener_IsTrustedFromWhenItsHeartbeatWasSent_NotFromWhenItWasHeard()
    {
        // The database far away and the listener's connection seconds behind: it still heard a heartbeat every 0.5 s, each
        // seconds old, and trusted its cache while the revocations of those seconds were unread (a probe: a deleted key
        // answered 200 for up to 4 s on that instance, after its deletion had been answered).
        var clock = new FakeTimeProvider();
        using var memory = new MemoryCache(new MemoryCacheOptions());
        var store = new CachedCredentialStore(null!, memory, clock, null!, null!, null!, null!);
        store.ListenerConnected();

        var sent = store.HeartbeatPayload();
        clock.Advance(CachedCredentialStore.HeartbeatTrust + TimeSpan.FromMilliseconds(1)); // on its way that long
        store.Heartbeat(sent);
        Assert.False(store.IsListening);

        var later = store.HeartbeatPayload();
        clock.Advance(TimeSpan.FromMilliseconds(100));
        store.Heartbeat(later);
        Assert.True(store.IsListening);
        store.Heartbeat(sent); // an older one heard after a newer one says less
        Assert.True(store.IsListening);
        clock.Advance(CachedCredentialStore.HeartbeatTrust - TimeSpan.FromMilliseconds(100));
        Assert.False(store.IsListening); // counted from the newer's sending

        store.Heartbeat("not a time");
        store.Heartbeat((long.Parse(store.HeartbeatPayload(), System.Globalization.CultureInfo.InvariantCulture) + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)); // from the future: not this process's
        Assert.False(store.IsListening);
    }

    [Fact]
    public void AListenerThatHasConnected_IsNotTrusted_UntilItHearsAHeartbeatOnThatConnection()
    {
        // Behind a pooler in transaction mode the LISTEN succeeds and nothing is ever heard: trusting a new connection for
        // the heartbeat's span let a key revoked meanwhile work for about a second on an instance just started or
        // reconnected (a PgBouncer probe). A heartbeat heard on the connection before is no proof for this one either.
        var clock = new FakeTimeProvider();
        using var memory = new MemoryCache(new MemoryCacheOptions());
        var store = new CachedCredentialStore(null!, memory, clock, null!, null!, null!, null!);
        store.ListenerConnected();
        store.Heartbeat(store.HeartbeatPayload());
        store.ListenerDisconnected();
        store.ListenerConnected(); // at once: the last heartbeat is still recent
        Assert.False(store.IsListening);
        clock.Advance(CredentialRevocationListener.HeartbeatInterval);
        Assert.False(store.IsListening);
        store.Heartbeat(store.HeartbeatPayload());
        Assert.True(store.IsListening);
    }
}
