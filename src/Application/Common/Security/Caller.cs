using Provisioning.Domain.Common;
using Provisioning.Domain.Credentials;

namespace Provisioning.Application.Common.Security;

/// <summary>Kinds of credential a request can carry. Flags, so a route can allow several.</summary>
[Flags]
public enum CallerKinds
{
    None = 0,
    Account = 1,
    ServiceAccount = 2,
    App = 4,
    AccountOrServiceAccount = Account | ServiceAccount,
    All = Account | ServiceAccount | App,
}

/// <summary>
/// The authenticated caller. <see cref="TenantId"/> is the tenant the request acts in: the key's
/// own tenant (<see cref="HomeTenantId"/>) or, with On-Behalf-Of, one of its descendants.
/// </summary>
public sealed record Caller(
    KeyId KeyId,
    CallerKinds Kind,
    TenantId HomeTenantId,
    TenantId TenantId,
    ServiceAccountId? ServiceAccountId = null,
    AppId? AppId = null,
    bool ViaTenantToken = false)
{
    public bool IsServiceAccount => Kind == CallerKinds.ServiceAccount;
}

/// <summary>Gives handlers the current caller.</summary>
public interface ICallerContext
{
    /// <summary>The authenticated caller; throws <see cref="Exceptions.UnauthorizedException"/> when there is none.</summary>
    Caller Caller { get; }

    /// <summary>The id of the request being served (<c>X-Request-Id</c>), when there is one.</summary>
    string? RequestId { get; }
}

/// <summary>Which credential kinds may send a message. Messages without it are for account keys only.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class AllowedCallersAttribute(CallerKinds kinds) : Attribute
{
    public CallerKinds Kinds { get; } = kinds;
}

/// <summary>Marks a message sent by the system itself (start-up), not on behalf of a caller.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class SystemMessageAttribute : Attribute;
