using Microsoft.Extensions.Time.Testing;
using Provisioning.Application.Common.Logging;
using Provisioning.Infrastructure.Credentials;

namespace Provisioning.UnitTests.Infrastructure;

public sealed class CredentialLookupsTests
{
    [Fact]
    public async Task PastItsTurnsAndItsQueue_ALookupIsRefused503_AndSaidOnceAMinuteWithTheCount()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 3, 18, 0, 0, TimeSpan.Zero));
        var logger = new RecordingLogger<CredentialLookups>();
        // No queue: a waiting lookup's deadline runs on this clock too, and the minute below would pass it.
        using var lookups = new CredentialLookups(concurrent: 1, queueLimit: 0, logger, clock);
        using var held = await lookups.TurnAsync(known: false, CancellationToken.None);

        // The first line's time is the first refusal's, not the instance's start (an operator read it as the flood's start).
        clock.Advance(TimeSpan.FromMinutes(3));
        var refused = await Assert.ThrowsAsync<CredentialLookupsBusyException>(() => lookups.TurnAsync(known: false, CancellationToken.None).AsTask());
        Assert.Equal((503, "service_unavailable"), (refused.Status, refused.Code));
        Assert.True(FaultLog.IsLogged(refused)); // said here, not again per request by the error handler
        await Assert.ThrowsAsync<CredentialLookupsBusyException>(() => lookups.TurnAsync(known: false, CancellationToken.None).AsTask());
        Assert.StartsWith(
            "Warning Credential lookups at their limit (1 at once, 0 waiting at most, 15 s each): 1 request(s) answered 503 since 2026-12-03 18:03:00Z.",
            Assert.Single(logger.Lines), StringComparison.Ordinal);

        // A minute later, the one held back is said, even with no refusal since; the next is held back for a minute again.
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(2, logger.Lines.Count);
        Assert.Contains(": 1 request(s) answered 503 since 2026-12-03 18:03:00Z.", logger.Lines[1], StringComparison.Ordinal);
        await Assert.ThrowsAsync<CredentialLookupsBusyException>(() => lookups.TurnAsync(known: false, CancellationToken.None).AsTask());
        await Assert.ThrowsAsync<CredentialLookupsBusyException>(() => lookups.TurnAsync(known: false, CancellationToken.None).AsTask());
        Assert.Equal(2, logger.Lines.Count);
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(3, logger.Lines.Count);
        Assert.Contains(": 2 request(s) answered 503 since 2026-12-03 18:04:00Z.", logger.Lines[2], StringComparison.Ordinal);

        // An id found to be a key before has turns of its own: not held up by the made-up ones.
        using var known = await lookups.TurnAsync(known: true, CancellationToken.None);
        await Assert.ThrowsAsync<CredentialLookupsBusyException>(() => lookups.TurnAsync(known: true, CancellationToken.None).AsTask());
    }

    [Fact]
    public async Task ALookupWaitingPastMaxWait_IsRefused_AndOneWhoseCallerLeft_GivesItsPlaceBackUnrefused()
    {
        // The database stopped answering: the turns' holders wait for their statements' timeouts, and those queued behind
        // them would have waited for each in turn.
        var clock = new FakeTimeProvider();
        var logger = new RecordingLogger<CredentialLookups>();
        using var lookups = new CredentialLookups(concurrent: 1, queueLimit: 10, logger, clock);
        var held = await lookups.TurnAsync(known: false, CancellationToken.None);

        var waiting = lookups.TurnAsync(known: false, CancellationToken.None).AsTask();
        clock.Advance(TimeSpan.FromSeconds(1));
        var next = lookups.TurnAsync(known: false, CancellationToken.None).AsTask();
        clock.Advance(CredentialLookups.MaxWait - TimeSpan.FromSeconds(2));
        Assert.False(waiting.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(1));
        await Assert.ThrowsAsync<CredentialLookupsBusyException>(() => waiting);
        Assert.Single(logger.Lines);

        // A turn given back goes to the oldest lookup still waiting.
        held.Dispose();
        using var nextTurn = await next;

        // A client that hangs up while waiting: its place is given back, no 503 and nothing logged.
        using var leaving = new CancellationTokenSource();
        var left = lookups.TurnAsync(known: false, leaving.Token).AsTask();
        Assert.Equal(1, lookups.Waiting);
        await leaving.CancelAsync();
        var cancelled = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => left);
        Assert.IsNotType<CredentialLookupsBusyException>(cancelled);
        Assert.Equal(0, lookups.Waiting);
        Assert.Single(logger.Lines);
    }
}
