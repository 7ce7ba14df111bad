using System.Diagnostics;
using Mediator;
using Microsoft.Extensions.Logging;
using Provisioning.Application.Common.Security;

namespace Provisioning.Application.Common.Behaviors;

/// <summary>
/// Warns about messages whose handler takes longer than half a second, at most once a minute for each kind of message,
/// with how many and the slowest (<see cref="OnceEvery"/>): a line each filled the log under load — 36 to 241
/// in a benchmark run, 39 for 40 requests held up by one lock (an audit of the log lines). Innermost in the pipeline (Program.cs): it times
/// the handler alone, not validation, the commit or a deadlock's rerun (the request's whole time is in ASP.NET Core's
/// metrics and traces when OTLP is on; its request log is off, docs/operations.md). Start-up work (<see cref="SystemMessageAttribute"/>
/// messages such as the root-tenant bootstrap) is not timed: it runs once, cold, while the model and pools warm up.
/// </summary>
public sealed class PerformanceBehavior<TMessage, TResponse>(ILogger<PerformanceBehavior<TMessage, TResponse>> logger)
    : IPipelineBehavior<TMessage, TResponse>
    where TMessage : IMessage
{
    private static readonly TimeSpan Threshold = TimeSpan.FromMilliseconds(500);

    // One of each for each kind of message (a static field of the generic type).
    private static readonly OnceEvery Slow = new(TimeProvider.System);
    private static long _slowestMilliseconds;

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
            var milliseconds = (long)elapsed.TotalMilliseconds;
            for (var slowest = Interlocked.Read(ref _slowestMilliseconds);
                 milliseconds > slowest && Interlocked.CompareExchange(ref _slowestMilliseconds, milliseconds, slowest) != slowest;
                 slowest = Interlocked.Read(ref _slowestMilliseconds))
            {
            }

            Slow.Say((count, since) => logger.LogWarning(
                "{MessageType}: {Count} took longer than {Threshold} ms since {Since:u}, the slowest {SlowestMilliseconds} ms (the " +
                "handler alone: waiting for the database, a lock or the machine's processors; docs/operations.md \"Slow requests\")",
                typeof(TMessage).Name, count, (long)Threshold.TotalMilliseconds, since,
                // At least its own: another line may have taken this one's time before it was counted (a review).
                Math.Max(Interlocked.Exchange(ref _slowestMilliseconds, 0), milliseconds)));
        }

        return response;
    }
}
