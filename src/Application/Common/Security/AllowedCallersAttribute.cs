using Provisioning.Domain.Common;
using Provisioning.Domain.Credentials;

namespace Provisioning.Application.Common.Security;

/// <summary>Which credential kinds may send a message. Messages without it are for account keys only.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class AllowedCallersAttribute(CallerKinds kinds) : Attribute
{
    public CallerKinds Kinds { get; } = kinds;
}
