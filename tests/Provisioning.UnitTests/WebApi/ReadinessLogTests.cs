using Microsoft.Extensions.Diagnostics.HealthChecks;
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
        var log = new ReadinessLog(logger);
        foreach (var reason in new[] { "refused", "timed out", "refused", "starting up", "refused" })
        {
            log.Note(HealthCheckResult.Unhealthy(reason));
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
}
