using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Time.Testing;
using Provisioning.WebApi.Hosting.Readiness;

namespace Provisioning.UnitTests.WebApi;

public sealed class ReadinessReuseTests
{
    [Fact]
    public async Task ProbesThatComeWhileACheckRuns_WaitForIt_AndTakeItsResult_OneCheckInAll()
    {
        var clock = new FakeTimeProvider();
        var reuse = new ReadinessReuse(TimeSpan.FromSeconds(1), clock);
        var checks = 0;
        var release = new TaskCompletionSource();
        async Task<HealthCheckResult> CheckAsync(CancellationToken _)
        {
            Interlocked.Increment(ref checks);
            await release.Task;
            return HealthCheckResult.Unhealthy("read-only");
        }

        var probes = Enumerable.Range(0, 20).Select(_ => Task.Run(() => reuse.GetAsync(CheckAsync, CancellationToken.None))).ToList();
        await Task.Delay(50);
        release.SetResult();
        var results = await Task.WhenAll(probes);

        Assert.Equal(1, checks);
        Assert.All(results, r => Assert.Equal("read-only", r.Description));
        clock.Advance(TimeSpan.FromSeconds(1));
        await reuse.GetAsync(CheckAsync, CancellationToken.None);
        Assert.Equal(2, checks); // the window over: checked again
    }

    [Fact]
    public async Task AProbeThatLeavesWhileWaiting_IsCancelled_AndTheCheckGoesOnForTheOthers()
    {
        var reuse = new ReadinessReuse(TimeSpan.FromSeconds(1), new FakeTimeProvider());
        var release = new TaskCompletionSource();
        var first = reuse.GetAsync(async _ => { await release.Task; return HealthCheckResult.Healthy(); }, CancellationToken.None);
        using var leaving = new CancellationTokenSource();
        var second = reuse.GetAsync(_ => Task.FromResult(HealthCheckResult.Unhealthy("not asked")), leaving.Token);
        await leaving.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => second);
        release.SetResult();
        Assert.Equal(HealthStatus.Healthy, (await first).Status);
    }

    [Fact]
    public async Task TheProbeThatStartedTheCheck_Leaving_DoesNotCancelIt_TheOthersTakeItsResult_OneCheckInAll()
    {
        // A load balancer timing out on a slow database: the check ran under the first probe's cancellation, so its leaving
        // cancelled the check, and each waiting probe then ran one of its own, one after another (a review).
        var reuse = new ReadinessReuse(TimeSpan.FromSeconds(1), new FakeTimeProvider());
        var checks = 0;
        var release = new TaskCompletionSource();
        async Task<HealthCheckResult> CheckAsync(CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref checks);
            await release.Task.WaitAsync(cancellationToken);
            return HealthCheckResult.Healthy("checked");
        }

        using var leaving = new CancellationTokenSource();
        var first = reuse.GetAsync(CheckAsync, leaving.Token);
        var others = Enumerable.Range(0, 5).Select(_ => reuse.GetAsync(CheckAsync, CancellationToken.None)).ToList();
        await Task.Delay(50);
        await leaving.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        release.SetResult();
        var results = await Task.WhenAll(others);

        Assert.All(results, r => Assert.Equal("checked", r.Description));
        Assert.Equal(1, checks);
    }

    [Fact]
    public async Task AWindowOfZero_ChecksEveryProbe()
    {
        var reuse = new ReadinessReuse(TimeSpan.Zero, new FakeTimeProvider());
        var checks = 0;
        for (var i = 0; i < 3; i++)
        {
            await reuse.GetAsync(_ => Task.FromResult(HealthCheckResult.Healthy($"{Interlocked.Increment(ref checks)}")), CancellationToken.None);
        }

        Assert.Equal(3, checks);
    }
}
