using Mediator;
using Provisioning.Application.Common.Abstractions;

namespace Provisioning.Application.Common.Behaviors;

/// <summary>Runs each command in one database transaction: a failure leaves nothing behind. Queries pass through.</summary>
public sealed class TransactionBehavior<TMessage, TResponse>(IUnitOfWork unitOfWork)
    : IPipelineBehavior<TMessage, TResponse>
    where TMessage : IMessage
{
    public ValueTask<TResponse> Handle(TMessage message, MessageHandlerDelegate<TMessage, TResponse> next, CancellationToken cancellationToken)
    {
        if (message is not IBaseCommand)
        {
            return next(message, cancellationToken);
        }

        return new ValueTask<TResponse>(unitOfWork.InTransactionAsync(ct => next(message, ct).AsTask(), cancellationToken));
    }
}
