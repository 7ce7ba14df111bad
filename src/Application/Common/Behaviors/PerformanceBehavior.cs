using System.Diagnostics;
using Mediator;
using Provisioning.Application.Common.Logging;
using Provisioning.Application.Common.Security;

namespace Provisioning.Application.Common.Behaviors;

/// <summary>
/// Times each message's handler and tells <see cref="SlowMessages"/>, which warns about those over half a second (a line
/// each up to ten of a type a minute, then a line a minute per type). Innermost in the pipeline (Program.cs): it times the handler alone,
/// not validation, the commit or a deadlock's rerun (the request's whole time is in ASP.NET Core's metrics and traces when
/// OTLP is on; its request log is off, docs/operations.md). Start-up work (<see cref="SystemMessageAttribute"/> messages
/// such as the root-tenant bootstrap) is not timed: it runs once, cold, while the model and pools warm up.
/// </summary>
public sealed class PerformanceBehavior<TMessage, TResponse>(SlowMessages slow) : IPipelineBehavior<TMessage, TResponse>
    where TMessage : IMessage
{
    public async ValueTask<TResponse> Handle(TMessage message, MessageHandlerDelegate<TMessage, TResponse> next, CancellationToken cancellationToken)
    {
        if (MessageTraits<TMessage>.IsSystemMessage)
        {
            return await next(message, cancellationToken);
        }

        var started = Stopwatch.GetTimestamp();
        var response = await next(message, cancellationToken);
        slow.Took(typeof(TMessage), Stopwatch.GetElapsedTime(started));
        return response;
    }
}
