using Provisioning.Infrastructure.Persistence;

namespace Provisioning.UnitTests.Infrastructure;

/// <summary>
/// Remembered v1.1 page starts are forgotten when the database may have changed under the instance (a restore: the
/// revocation listener's reconnection), including a start a request read before that and remembers after it.
/// </summary>
public sealed class OffsetAnchorsTests
{
    private static readonly OffsetAnchor Start = new("0:1234", "a00000000000000000000001");

    [Fact]
    public void AStart_IsGivenBack_ForItsTableTenantAndOffsetOnly()
    {
        using var anchors = new OffsetAnchors();
        anchors.Set("apps", "t1", 25, Start, anchors.Generation);

        Assert.True(anchors.TryGet("apps", "t1", 25, out var found));
        Assert.Equal(Start, found);
        Assert.False(anchors.TryGet("service_accounts", "t1", 25, out _));
        Assert.False(anchors.TryGet("apps", "t2", 25, out _));
        Assert.False(anchors.TryGet("apps", "t1", 50, out _));
    }

    [Fact]
    public void Clear_ForgetsEveryStart_AndAStartReadBeforeItAndRememberedAfter()
    {
        using var anchors = new OffsetAnchors();
        anchors.Set("apps", "t1", 25, Start, anchors.Generation);
        var readBefore = anchors.Generation; // a request's read begins

        anchors.Clear(); // the listener lost its connection: the database may be restored meanwhile
        Assert.False(anchors.TryGet("apps", "t1", 25, out _));

        anchors.Set("service_accounts", "t1", 50, Start, readBefore); // that request remembers what it read
        Assert.False(anchors.TryGet("service_accounts", "t1", 50, out _));

        anchors.Set("service_accounts", "t1", 50, Start, anchors.Generation); // read after the clear: kept
        Assert.True(anchors.TryGet("service_accounts", "t1", 50, out _));
    }
}
