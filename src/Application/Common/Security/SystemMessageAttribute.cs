using Provisioning.Domain.Common;
using Provisioning.Domain.Credentials;

namespace Provisioning.Application.Common.Security;

/// <summary>Marks a message sent by the system itself (start-up, an operator verb), not on behalf of a caller.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class SystemMessageAttribute : Attribute;
