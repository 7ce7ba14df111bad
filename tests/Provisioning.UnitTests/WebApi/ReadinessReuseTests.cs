using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Time.Testing;
using Provisioning.WebApi.Hosting;

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
