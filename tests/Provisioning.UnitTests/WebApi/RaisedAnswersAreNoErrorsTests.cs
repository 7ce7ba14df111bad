using System.Diagnostics;
using Provisioning.WebApi.Hosting;

namespace Provisioning.UnitTests.WebApi;

public sealed class RaisedAnswersAreNoErrorsTests
{
    [Theory]
    [InlineData("Npgsql", "PX200", ActivityStatusCode.Unset)] // an Idempotency-Key's replay
    [InlineData("Npgsql", "PX409", ActivityStatusCode.Unset)] // one still running: 409
    [InlineData("Npgsql", "PX402", ActivityStatusCode.Unset)] // a budget passed
    [InlineData("Npgsql", "PX403", ActivityStatusCode.Unset)] // a suspended subtree
    [InlineData("Npgsql", "PX503", ActivityStatusCode.Error)] // a secret under a retired master key: a fault
    [InlineData("Npgsql", "57P01", ActivityStatusCode.Error)] // the server ending the session
    [InlineData("Another.Source", "PX200", ActivityStatusCode.Error)]
    public void ASpanOfNpgsqlsFailedWithAnAnswer_IsNoError_AndEveryOtherFailureStaysOne(string source, string sqlState, ActivityStatusCode exported)
    {
        // A replayed Idempotency-Key left an error span: idempotency_claim answers by raising PX200 (a probe of the OTLP export).
        using var activities = new ActivitySource(source);
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => ReferenceEquals(s, activities),
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        using var span = activities.StartActivity("postgresql")!;
        span.SetStatus(ActivityStatusCode.Error, "raised");
        span.SetTag("error.type", sqlState);
        span.Stop();

        new RaisedAnswersAreNoErrors().OnEnd(span);
        Assert.Equal(exported, span.Status);
        Assert.Equal(exported == ActivityStatusCode.Error ? sqlState : null, span.GetTagItem("error.type"));
    }
}
