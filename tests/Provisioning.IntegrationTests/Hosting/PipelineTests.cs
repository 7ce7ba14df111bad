using Mediator;
using Microsoft.Extensions.DependencyInjection;
using Provisioning.Application.Apps;
using Provisioning.Application.Apps.Commands.CreateApp;
using Provisioning.Application.Apps.Queries.GetApp;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Hosting;

/// <summary>The message pipelines as the service builds them (Mediator's registrations in the real container).</summary>
[Collection(ServiceTestCollection.Name)]
public sealed class PipelineTests(ServiceFixture service)
{
    [Fact]
    public async Task ACommandRunsInATransactionWithItsAuditEvent_AQueryWithNeither()
    {
        await using var scope = service.Factory.Services.CreateAsyncScope();

        // A command: every behavior, in the order configured (the transaction around the audit trail and the handler).
        var command = scope.ServiceProvider.GetServices<IPipelineBehavior<CreateAppCommand, AppDto>>().Select(b => b.GetType().Name).ToList();
        Assert.Equal(
            ["LoggingBehavior`2", "UnhandledExceptionBehavior`2", "AuthorizationBehavior`2", "ValidationBehavior`2", "TransactionBehavior`2",
             "AuditBehavior`2", "PerformanceBehavior`2"],
            command);

        // A query: no transaction and no audit trail, not even a pass-through (each was made for every read with what it
        // needs: the unit of work, the audit trail).
        var query = scope.ServiceProvider.GetServices<IPipelineBehavior<GetAppQuery, AppDto>>().Select(b => b.GetType().Name).ToList();
        Assert.Equal(["LoggingBehavior`2", "UnhandledExceptionBehavior`2", "AuthorizationBehavior`2", "ValidationBehavior`2", "PerformanceBehavior`2"], query);
    }
}
