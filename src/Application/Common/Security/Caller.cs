using Provisioning.Domain.Common;
using Provisioning.Domain.Credentials;

namespace Provisioning.Application.Common.Security;

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
