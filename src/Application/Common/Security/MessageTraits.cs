using System.Reflection;

namespace Provisioning.Application.Common.Security;

/// <summary>What a message type declares about itself, read once per type (behaviors ask on every request).</summary>
public static class MessageTraits<TMessage>
{
    /// <summary>Sent by the system itself (<see cref="SystemMessageAttribute"/>), not on behalf of a caller.</summary>
    public static readonly bool IsSystemMessage = typeof(TMessage).GetCustomAttribute<SystemMessageAttribute>() is not null;
}
