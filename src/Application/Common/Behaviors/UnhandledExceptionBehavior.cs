using Mediator;
using Microsoft.Extensions.Logging;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Logging;
using Provisioning.Domain.Common;

namespace Provisioning.Application.Common.Behaviors;

/// <summary>
/// Logs faults (anything that is not an expected, typed outcome) with the message type, once (or counts them, past the
/// lines a kind gets a minute: <see cref="FaultLines"/>), then lets them propagate marked as logged (<see cref="FaultLog"/>),
/// so that whoever catches them further up does not log them again. The
/// database's faults (<see cref="IDatabaseFaults"/>: an outage or a conflict given up on, answered 503) are said to be
/// that, not "unhandled": an operator searching the log for the service's defects at 3 a.m. is not sent after a database
/// restart.
/// </summary>
public sealed class UnhandledExceptionBehavior<TMessage, TResponse>(
    ILogger<UnhandledExceptionBehavior<TMessage, TResponse>> logger, IDatabaseFaults databaseFaults, FaultLines lines)
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
            var ofTheDatabase = databaseFaults.IsDatabaseFault(ex);
            switch (lines.Next(ex, ofTheDatabase ? 503 : 500))
            {
                case FaultLine.WithStackTrace:
                    // The reason in the text too: a one-off fault (a temp_file_limit refused) has only this line, and the cause
                    // was in its exception field alone (a probe).
                    logger.LogError(ex, (ofTheDatabase ? DatabaseFault : Unhandled) + " ({Reason})", ex.GetType().Name, typeof(TMessage).Name, FaultLog.Reason(ex));
                    break;
                case FaultLine.WithoutStackTrace:
                    logger.LogError((ofTheDatabase ? DatabaseFault : Unhandled) + " ({Reason}; its stack trace is in the first such line this minute)",
                        ex.GetType().Name, typeof(TMessage).Name, FaultLog.Reason(ex));
                    break;
            }

            FaultLog.MarkLogged(ex);
            throw;
        }
    }

    private const string Unhandled = "Unhandled {ExceptionType} while handling {MessageType}";
    private const string DatabaseFault = "Database fault ({ExceptionType}) while handling {MessageType}";

    private static bool IsExpected(Exception ex) => ex is ExpectedException;
}
