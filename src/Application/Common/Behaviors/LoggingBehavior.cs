using Mediator;
using Microsoft.Extensions.Logging;

namespace Provisioning.Application.Common.Behaviors;

/// <summary>Logs each message by type name only: message contents may hold secrets and are never logged.</summary>
public sealed class LoggingBehavior<TMessage, TResponse>(ILogger<LoggingBehavior<TMessage, TResponse>> logger)
    : IPipelineBehavior<TMessage, TResponse>
    where TMessage : IMessage
{
    public ValueTask<TResponse> Handle(TMessage message, MessageHandlerDelegate<TMessage, TResponse> next, CancellationToken cancellationToken) =>
        // Off (the usual level is Information or above): no argument arrays and no extra async step per message.
        logger.IsEnabled(LogLevel.Debug) ? HandleLogged(message, next, cancellationToken) : next(message, cancellationToken);

    private async ValueTask<TResponse> HandleLogged(TMessage message, MessageHandlerDelegate<TMessage, TResponse> next, CancellationToken cancellationToken)
    {
        logger.LogDebug("Handling {MessageType}", typeof(TMessage).Name);
        var response = await next(message, cancellationToken);
        logger.LogDebug("Handled {MessageType}", typeof(TMessage).Name);
        return response;
    }
}
