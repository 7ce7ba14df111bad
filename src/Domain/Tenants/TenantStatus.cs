using Provisioning.Domain.Common;

namespace Provisioning.Domain.Tenants;

/// <summary>
/// A tenant is <c>active</c> or <c>suspended</c>. While a tenant is suspended, every credential of it and of its
/// descendants answers 403 <c>tenant_suspended</c> and nothing is provisioned under it; its ancestors keep control, but only
/// the one that suspended it, or one above that one, resumes it (<see cref="Tenant.ChangeStatus"/>).
/// </summary>
public static class TenantStatus
{
    public const string Active = "active";
    public const string Suspended = "suspended";

    public static string Parse(string? value) => value switch
    {
        Active => Active,
        Suspended => Suspended,
        _ => throw new DomainRuleException("status", $"status must be '{Active}' or '{Suspended}'."),
    };
}
