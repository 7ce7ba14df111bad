using System.Diagnostics;
using Mediator;
using Microsoft.Extensions.Logging;

namespace Provisioning.Application.Common.Behaviors;

/// <summary>Warns about messages that take longer than half a second to handle.</summary>
public sealed class PerformanceBehavior<TMessage, TResponse>(ILogger<PerformanceBehavior<TMessage, TResponse>> logger)
    : IPipelineBehavior<TMessage, TResponse>
    where TMessage : IMessage
{
    private static readonly TimeSpan Threshold = TimeSpan.FromMilliseconds(500);

    public async ValueTask<TResponse> Handle(TMessage message, MessageHandlerDelegate<TMessage, TResponse> next, CancellationToken cancellationToken)
    {
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
