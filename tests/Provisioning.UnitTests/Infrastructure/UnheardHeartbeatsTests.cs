using Provisioning.Infrastructure.Credentials;

namespace Provisioning.UnitTests.Infrastructure;

/// <summary>
/// A revocation listener whose LISTEN hears nothing (behind PgBouncer in transaction mode), or that stops hearing (its
/// session on another server than the pool writes to: split brain after a failover), is said at Error after a few
/// heartbeats, then once a minute; a listener that hears, or is not connected, is not.
/// </summary>
public sealed class UnheardHeartbeatsTests
{
    [Fact]
    public void AConnectionThatHearsNone_IsSaid_AfterTenSecondsOfHeartbeats_ThenEveryMinuteOfThem()
    {
        var unheard = new UnheardHeartbeats();
        unheard.Connected();
        var said = Enumerable.Range(1, 300).Where(i => unheard.Sent(out _, out _)).ToList();
        Assert.Equal([UnheardHeartbeats.SayAfter, UnheardHeartbeats.SayAfter + 120, UnheardHeartbeats.SayAfter + 240], said);
    }

    [Fact]
    public void AConnectionThatStopsHearing_IsSaid_AsHavingHeardBefore_UntilItHearsAgain()
    {
        var unheard = new UnheardHeartbeats();
        unheard.Connected();
        Assert.DoesNotContain(Enumerable.Range(1, 200), i =>
        {
            var said = unheard.Sent(out _, out _);
            return unheard.Heard() || said; // nothing said, so no end of it either
        });

        var said = Enumerable.Range(1, 300).Select(i => (Said: unheard.Sent(out var sent, out var heardBefore), sent, heardBefore))
            .Where(s => s.Said).ToList();
        Assert.Equal([(true, UnheardHeartbeats.SayAfter, true), (true, UnheardHeartbeats.SayAfter + 120, true), (true, UnheardHeartbeats.SayAfter + 240, true)], said);

        Assert.True(unheard.Heard()); // it was said: its end is said too, once
        Assert.False(unheard.Heard());
        Assert.DoesNotContain(Enumerable.Range(1, UnheardHeartbeats.SayAfter - 1), i => unheard.Sent(out _, out _));
        Assert.True(unheard.Sent(out _, out var stillHeardBefore) && stillHeardBefore);
        unheard.Connected(); // a new connection has heard nothing yet
        Assert.Contains(Enumerable.Range(1, UnheardHeartbeats.SayAfter), i => unheard.Sent(out _, out var heard) && !heard);
    }

    [Fact]
    public void AConnectionThatHearsOne_IsNotSaid_NorOneNotConnected()
    {
        var unheard = new UnheardHeartbeats();
        Assert.DoesNotContain(Enumerable.Range(1, 200), i => unheard.Sent(out _, out _)); // before any connection

        unheard.Connected();
        unheard.Sent(out _, out _);
        unheard.Heard();
        Assert.DoesNotContain(Enumerable.Range(1, UnheardHeartbeats.SayAfter - 1), i => unheard.Sent(out _, out _));

        unheard.Connected(); // a new connection: what the last one heard does not count
        Assert.Contains(Enumerable.Range(1, UnheardHeartbeats.SayAfter), i => unheard.Sent(out _, out _));
        unheard.Disconnected();
        Assert.DoesNotContain(Enumerable.Range(1, 200), i => unheard.Sent(out _, out _));
    }
}
