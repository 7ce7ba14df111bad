using Mediator;
using Microsoft.Extensions.Logging;
using Provisioning.Domain.Common;

namespace Provisioning.Application.Common.Behaviors;

/// <summary>
/// Logs faults (anything that is not an expected, typed outcome) with the message type, once, then lets them propagate
/// marked as logged (<see cref="FaultLog"/>), so that whoever catches them further up does not log them again.
/// </summary>
public sealed class UnhandledExceptionBehavior<TMessage, TResponse>(ILogger<UnhandledExceptionBehavior<TMessage, TResponse>> logger)
    : IPipelineBehavior<TMessage, TResponse>
    where TMessage : IMessage
{
    public async ValueTask<TResponse> Handle(TMessage message, MessageHandlerDelegate<TMessage, TResponse> next, CancellationToken cancellationToken)
    {
        try
        {
            return await next(message, cancellationToken);
        }
        catch (Exception ex) when (!IsExpected(ex) && !cancellationToken.IsCancellationRequested && !FaultLog.IsLogged(ex))
        {
            if (FaultLog.WantsStackTrace(ex))
            {
                logger.LogError(ex, "Unhandled {ExceptionType} while handling {MessageType}", ex.GetType().Name, typeof(TMessage).Name);
            }
            else
            {
                logger.LogError("Unhandled {ExceptionType} while handling {MessageType} ({Reason}; its stack trace is in the first such line this minute)",
                    ex.GetType().Name, typeof(TMessage).Name, FaultLog.Reason(ex));
            }

            FaultLog.MarkLogged(ex);
            throw;
        }
    }

    private static bool IsExpected(Exception ex) => ex is ExpectedException;
}
