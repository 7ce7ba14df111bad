using Microsoft.Extensions.Time.Testing;
using Provisioning.Infrastructure.Credentials;

namespace Provisioning.UnitTests.Infrastructure;

public sealed class CredentialLookupsTests
{
    [Fact]
    public async Task PastItsTurnsAndItsQueue_ALookupIsRefused503_AndSaidOnceAMinuteWithTheCount()
    {
        var clock = new FakeTimeProvider();
        var logger = new RecordingLogger<CredentialLookups>();
        using var lookups = new CredentialLookups(concurrent: 1, queueLimit: 1, logger, clock);

        var first = await lookups.TurnAsync(CancellationToken.None);
        var queued = lookups.TurnAsync(CancellationToken.None);
        Assert.False(queued.IsCompleted); // waits for the one turn

        var refused = await Assert.ThrowsAsync<CredentialLookupsBusyException>(() => lookups.TurnAsync(CancellationToken.None).AsTask());
        Assert.Equal((503, "service_unavailable"), (refused.Status, refused.Code));
        await Assert.ThrowsAsync<CredentialLookupsBusyException>(() => lookups.TurnAsync(CancellationToken.None).AsTask());
        var line = Assert.Single(logger.Lines);
        Assert.StartsWith("Warning Credential lookups at their limit (1 at once, 1 waiting): 1 request(s) answered 503", line, StringComparison.Ordinal);

        // A minute later, the next refusal says how many there were since (the one above, and itself).
        clock.Advance(TimeSpan.FromMinutes(1));
        await Assert.ThrowsAsync<CredentialLookupsBusyException>(() => lookups.TurnAsync(CancellationToken.None).AsTask());
        Assert.Equal(2, logger.Lines.Count);
        Assert.Contains(": 2 request(s) answered 503", logger.Lines[1], StringComparison.Ordinal);

        // A turn given back goes to the oldest waiting lookup.
        first.Dispose();
        (await queued).Dispose();
        (await lookups.TurnAsync(CancellationToken.None)).Dispose();
    }
}
