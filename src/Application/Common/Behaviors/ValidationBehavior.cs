using FluentValidation;
using Mediator;
using Provisioning.Application.Common.Exceptions;

namespace Provisioning.Application.Common.Behaviors;

/// <summary>Runs every FluentValidation validator of the message and reports all failures at once (400).</summary>
public sealed class ValidationBehavior<TMessage, TResponse>(IEnumerable<IValidator<TMessage>> validators)
    : IPipelineBehavior<TMessage, TResponse>
    where TMessage : IMessage
{
    public async ValueTask<TResponse> Handle(TMessage message, MessageHandlerDelegate<TMessage, TResponse> next, CancellationToken cancellationToken)
    {
        List<FieldError>? errors = null;
        foreach (var validator in validators)
        {
            var result = await validator.ValidateAsync(message, cancellationToken);
            foreach (var failure in result.Errors)
            {
                (errors ??= []).Add(new FieldError(failure.PropertyName, failure.ErrorMessage));
            }
        }

        if (errors is not null)
        {
            throw new RequestValidationException(errors);
        }

        return await next(message, cancellationToken);
    }
}
