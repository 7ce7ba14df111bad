using Provisioning.Domain.Audit;
using Provisioning.Domain.Credentials;

namespace Provisioning.Application.Common.Audit;

/// <summary>How keys and users are named in events; the key kind is in the resource type, never the secret.</summary>
public static class AuditResources
{
    public static AuditResource Key(ApiKey key) => new(
        key.Kind switch
        {
            KeyKind.Account => key.IsTenantToken ? "tenantToken" : "accountKey",
            KeyKind.ServiceAccount => "serviceAccountKey",
            KeyKind.App => "appKey",
            _ => "key",
        },
        key.Id.Value);

    public static AuditResource Key(ProvisioningKey key) => new("provisioningKey", key.Id.Value);

    /// <summary>The resource type of a tenant's user, whose id is its address (which the operator's erasure replaces).</summary>
    public const string TenantUserType = "tenantUser";

    /// <summary>A tenant's user, by address in its stored form (<see cref="Domain.Tenants.TenantUser.Canonical"/>).</summary>
    public static AuditResource TenantUser(string email) => new(TenantUserType, Domain.Tenants.TenantUser.Canonical(email));
}
