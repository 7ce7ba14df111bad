using Provisioning.Domain.Common;

namespace Provisioning.Application.Keys;

/// <summary>Whose key is being issued.</summary>
public abstract record KeyOwner(TenantId Tenant)
{
    public sealed record Account(TenantId Tenant, bool IsTenantToken = false) : KeyOwner(Tenant);

    public sealed record ServiceAccount(TenantId Tenant, ServiceAccountId Id) : KeyOwner(Tenant);

    public sealed record App(TenantId Tenant, AppId Id) : KeyOwner(Tenant);
}
