using Provisioning.Domain.Common;

namespace Provisioning.Domain.Tenants;

/// <summary>One more tenant would pass the tenant budget of the parent or of one of its ancestors.</summary>
public sealed class TenantLimitReachedException : BudgetExceededException
{
    public TenantLimitReachedException(int limit)
        : base($"A tenant on the way to the root has reached its budget of {limit} descendant tenants.") =>
        Limit = limit;
}
