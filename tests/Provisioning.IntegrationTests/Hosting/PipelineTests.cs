using Mediator;
using Microsoft.Extensions.DependencyInjection;
using Provisioning.Application.Apps.Commands.CreateApp;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Hosting;

/// <summary>The message pipelines as the service builds them (Mediator's registrations in the real container).</summary>
[Collection(ServiceTestCollection.Name)]
public sealed class PipelineTests(ServiceFixture service)
{
    private static readonly string[] CommandPipeline =
    [
        "LoggingBehavior`2", "UnhandledExceptionBehavior`2", "AuthorizationBehavior`2", "ValidationBehavior`2", "TransactionBehavior`2",
        "AuditBehavior`2", "PerformanceBehavior`2",
    ];

    private static readonly string[] QueryPipeline =
        ["LoggingBehavior`2", "UnhandledExceptionBehavior`2", "AuthorizationBehavior`2", "ValidationBehavior`2", "PerformanceBehavior`2"];

    [Fact]
    public async Task EveryCommandRunsInATransactionWithItsAuditEvent_EveryQueryWithNeither()
    {
        // Every message of the application: a command gets every behavior, in the order configured (the transaction around
        // the audit trail and the handler); a query no transaction and no audit trail, not even a pass-through (each was
        // made for every read with what it needs: the unit of work, the audit trail).
        await using var scope = service.Factory.Services.CreateAsyncScope();
        var messages = typeof(CreateAppCommand).Assembly.GetTypes()
            .Where(t => t is { IsAbstract: false, IsInterface: false } && typeof(IMessage).IsAssignableFrom(t))
            .ToList();
        Assert.True(messages.Count > 40, $"only {messages.Count} messages found");
        foreach (var message in messages)
        {
            var response = message.GetInterfaces()
                .Single(i => i.IsGenericType && (i.GetGenericTypeDefinition() == typeof(ICommand<>) || i.GetGenericTypeDefinition() == typeof(IQuery<>)))
                .GetGenericArguments()[0];
            var behaviors = scope.ServiceProvider.GetServices(typeof(IPipelineBehavior<,>).MakeGenericType(message, response))
                .Select(b => b!.GetType().Name).ToList();
            Assert.True(
                (typeof(IBaseCommand).IsAssignableFrom(message) ? CommandPipeline : QueryPipeline).SequenceEqual(behaviors),
                $"{message.Name}: {string.Join(", ", behaviors)}");
        }
    }
}
