using System.Diagnostics;
using Mediator;
using Microsoft.Extensions.Logging;
using Provisioning.Application.Common.Security;

namespace Provisioning.Application.Common.Behaviors;

/// <summary>
/// Warns about messages whose handler takes longer than half a second. Innermost in the pipeline (Program.cs): it times
/// the handler alone, not validation, the commit or a deadlock's rerun (the request's whole time is in ASP.NET Core's
/// metrics and traces when OTLP is on; its request log is off, docs/operations.md). Start-up work (<see cref="SystemMessageAttribute"/>
/// messages such as the root-tenant bootstrap) is not timed: it runs once, cold, while the model and pools warm up.
/// </summary>
public sealed class PerformanceBehavior<TMessage, TResponse>(ILogger<PerformanceBehavior<TMessage, TResponse>> logger)
    : IPipelineBehavior<TMessage, TResponse>
    where TMessage : IMessage
{
    private static readonly TimeSpan Threshold = TimeSpan.FromMilliseconds(500);

    public async ValueTask<TResponse> Handle(TMessage message, MessageHandlerDelegate<TMessage, TResponse> next, CancellationToken cancellationToken)
    {
        if (MessageTraits<TMessage>.IsSystemMessage)
        {
            return await next(message, cancellationToken);
        }

        var started = Stopwatch.GetTimestamp();
        var response = await next(message, cancellationToken);
        var elapsed = Stopwatch.GetElapsedTime(started);
        if (elapsed > Threshold)
        {
            logger.LogWarning("{MessageType} took {ElapsedMilliseconds} ms", typeof(TMessage).Name, (long)elapsed.TotalMilliseconds);
        }

        return response;
    }
}
