using Mediator;
using Provisioning.Application.Common.Audit;
using Provisioning.Application.Common.Security;

namespace Provisioning.Application.Common.Behaviors;

/// <summary>
/// Writes the audit event of an <see cref="IAuditedCommand"/> inside its transaction (it runs within
/// <see cref="TransactionBehavior{TMessage,TResponse}"/>): the change and its event commit together or not at all. Audited
/// commands only (the constraint): a query's pipeline does not have it.
/// </summary>
public sealed class AuditBehavior<TMessage, TResponse>(AuditTrail trail) : IPipelineBehavior<TMessage, TResponse>
    where TMessage : IBaseCommand, IAuditedCommand
{
    public async ValueTask<TResponse> Handle(TMessage message, MessageHandlerDelegate<TMessage, TResponse> next, CancellationToken cancellationToken)
    {
        trail.Begin(message, MessageTraits<TMessage>.IsSystemMessage);
        var response = await next(message, cancellationToken);
        trail.Complete();
        return response;
    }
}
