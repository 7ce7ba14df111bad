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

    /// <summary>
    /// A resource id as events hold it, from how a caller wrote it: an address in its stored form, as the user routes take
    /// it (<c>BOB@EXAMPLE.COM</c> found nothing where <c>DELETE …/users/BOB@EXAMPLE.COM</c> removed bob@example.com); any
    /// other id as written (ids are lower-case, and no id holds an '@').
    /// </summary>
    public static string IdAsStored(string id) => id.Contains('@') ? Domain.Tenants.TenantUser.Canonical(id) : id;
}
