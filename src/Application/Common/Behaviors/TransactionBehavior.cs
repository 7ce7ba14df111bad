using Mediator;
using Provisioning.Application.Common.Abstractions;

namespace Provisioning.Application.Common.Behaviors;

/// <summary>
/// Runs each command in one database transaction: a failure leaves nothing behind. Commands only (the constraint): a query's
/// pipeline does not have it, nor make the unit of work it would not use.
/// </summary>
public sealed class TransactionBehavior<TMessage, TResponse>(IUnitOfWork unitOfWork)
    : IPipelineBehavior<TMessage, TResponse>
    where TMessage : IBaseCommand
{
    public ValueTask<TResponse> Handle(TMessage message, MessageHandlerDelegate<TMessage, TResponse> next, CancellationToken cancellationToken) =>
        new(unitOfWork.InTransactionAsync(ct => next(message, ct).AsTask(), cancellationToken));
}
