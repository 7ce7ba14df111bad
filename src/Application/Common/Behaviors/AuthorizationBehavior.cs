using System.Reflection;
using Mediator;
using Provisioning.Application.Common.Exceptions;
using Provisioning.Application.Common.Security;

namespace Provisioning.Application.Common.Behaviors;

/// <summary>
/// Refuses a message whose caller's credential kind is not allowed by the message's
/// <see cref="AllowedCallersAttribute"/> (account keys only when it has none).
/// </summary>
public sealed class AuthorizationBehavior<TMessage, TResponse>(ICallerContext callerContext)
    : IPipelineBehavior<TMessage, TResponse>
    where TMessage : IMessage
{

    private static readonly CallerKinds Allowed =
        typeof(TMessage).GetCustomAttribute<AllowedCallersAttribute>()?.Kinds ?? CallerKinds.Account;

    public ValueTask<TResponse> Handle(TMessage message, MessageHandlerDelegate<TMessage, TResponse> next, CancellationToken cancellationToken)
    {
        if (MessageTraits<TMessage>.IsSystemMessage)
        {
            // Start-up's and the operator verbs' (the host is their authority; delete-tenant deletes any tenant): never sent
            // while serving a request, whatever route a later change might send one from (LayeringTests keeps them out of the
            // controllers too). A defect, so a 500.
            if (callerContext.RequestId is not null)
            {
                throw new InvalidOperationException($"{typeof(TMessage).Name} is the operator's and was sent while serving a request.");
            }
        }
        else if ((Allowed & callerContext.Caller.Kind) == 0)
        {
            throw new ForbiddenException(ForbiddenException.NotAllowed);
        }

        return next(message, cancellationToken);
    }
}
