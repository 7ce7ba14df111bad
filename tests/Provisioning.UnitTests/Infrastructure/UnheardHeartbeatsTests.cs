using Provisioning.Infrastructure.Credentials;

namespace Provisioning.UnitTests.Infrastructure;

/// <summary>
/// A revocation listener whose LISTEN hears nothing (behind PgBouncer in transaction mode) is said at Error after a few
/// heartbeats, then once a minute; a listener that hears, or is not connected, is not.
/// </summary>
public sealed class UnheardHeartbeatsTests
{
    [Fact]
    public void AConnectionThatHearsNone_IsSaid_AfterTenSecondsOfHeartbeats_ThenEveryMinuteOfThem()
    {
        var unheard = new UnheardHeartbeats();
        unheard.Connected();
        var said = Enumerable.Range(1, 300).Where(_ => unheard.Sent(out _)).ToList();
        Assert.Equal([UnheardHeartbeats.SayAfter, UnheardHeartbeats.SayAfter + 120, UnheardHeartbeats.SayAfter + 240], said);
    }

    [Fact]
    public void AConnectionThatHearsOne_IsNotSaid_NorOneNotConnected()
    {
        var unheard = new UnheardHeartbeats();
        Assert.DoesNotContain(Enumerable.Range(1, 200), _ => unheard.Sent(out _)); // before any connection

        unheard.Connected();
        unheard.Sent(out _);
        unheard.Heard();
        Assert.DoesNotContain(Enumerable.Range(1, 200), _ => unheard.Sent(out _));

        unheard.Connected(); // a new connection: what the last one heard does not count
        Assert.Contains(Enumerable.Range(1, UnheardHeartbeats.SayAfter), _ => unheard.Sent(out _));
        unheard.Disconnected();
        Assert.DoesNotContain(Enumerable.Range(1, 200), _ => unheard.Sent(out _));
    }
}
