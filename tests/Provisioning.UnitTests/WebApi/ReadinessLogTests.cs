using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Time.Testing;
using Provisioning.WebApi.Hosting.Readiness;

namespace Provisioning.UnitTests.WebApi;

public sealed class ReadinessLogTests
{
    [Fact]
    public void AnOutageIsOneErrorLine_WhateverItsReasonsDoFromPollToPoll_ThenReadyAgain()
    {
        // During an outage the reason changes from poll to poll (refused, timed out, starting up): a line per change was the
        // flood the log was made to stop (a review).
        var logger = new RecordingLogger<ReadinessLog>();
        var clock = new FakeTimeProvider();
        var log = new ReadinessLog(logger, clock);
        foreach (var reason in new[] { "refused", "timed out", "refused", "starting up", "refused" })
        {
            log.Note(Outage(reason));
            clock.Advance(TimeSpan.FromSeconds(11));
        }

        Assert.Equal(["Error Not ready (/readyz answers 503): refused (said again each minute while it lasts)"], logger.Lines);

        log.Note(HealthCheckResult.Healthy());
        log.Note(HealthCheckResult.Healthy());
        Assert.Equal("Information Ready again: the readiness check passes.", Assert.Single(logger.Lines, l => l.StartsWith("Information", StringComparison.Ordinal)));

        // Not ready again after being ready: said at once.
        log.Note(HealthCheckResult.Unhealthy("read-only"));
        Assert.Equal("Error Not ready (/readyz answers 503): read-only (said again each minute while it lasts)", logger.Lines[^1]);
        Assert.Equal(3, logger.Lines.Count);
    }

    [Fact]
    public void AReasonThatIsNoOutage_IsSaidTenSecondsAfterTheLastLine_NotAtTheMinute()
    {
        // A point-in-time restore: "not reachable" while the server starts, then "in recovery" for 40 s, which was never said.
        var logger = new RecordingLogger<ReadinessLog>();
        var clock = new FakeTimeProvider();
        var log = new ReadinessLog(logger, clock);
        log.Note(Outage("not reachable"));
        clock.Advance(TimeSpan.FromSeconds(5));
        log.Note(HealthCheckResult.Unhealthy("in recovery")); // too soon after the last line
        Assert.Single(logger.Lines);

        clock.Advance(TimeSpan.FromSeconds(5));
        log.Note(HealthCheckResult.Unhealthy("in recovery"));
        Assert.Equal("Error Not ready (/readyz answers 503): in recovery (said again each minute while it lasts)", logger.Lines[^1]);

        clock.Advance(TimeSpan.FromSeconds(20));
        log.Note(HealthCheckResult.Unhealthy("in recovery")); // the same reason: at the minute
        log.Note(Outage("not reachable")); // an outage's: at the minute
        Assert.Equal(2, logger.Lines.Count);

        clock.Advance(TimeSpan.FromSeconds(40));
        log.Note(Outage("not reachable"));
        Assert.Equal(3, logger.Lines.Count);
    }

    private static HealthCheckResult Outage(string reason) => HealthCheckResult.Unhealthy(reason, data: ReadinessLog.Outage);
}
