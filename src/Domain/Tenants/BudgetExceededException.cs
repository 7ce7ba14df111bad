using Provisioning.Domain.Common;

namespace Provisioning.Domain.Tenants;

/// <summary>A budget (<see cref="Tenant.MaxApps"/>, <see cref="Tenant.MaxTenants"/>) of the tenant or an ancestor is used up: 402.</summary>
public abstract class BudgetExceededException(string message) : ExpectedException("payment_required", 402, message)
{
    public int Limit { get; protected init; }
}
