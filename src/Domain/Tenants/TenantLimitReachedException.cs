using Provisioning.Domain.Common;

namespace Provisioning.Domain.Tenants;

/// <summary>
/// One more tenant would pass the tenant budget of the parent or of one of its ancestors (not named, as in
/// <see cref="AppLimitReachedException"/>).
/// </summary>
public sealed class TenantLimitReachedException : BudgetExceededException
{
    public TenantLimitReachedException(int limit, bool ofAncestor = false)
        : base(ofAncestor
            ? "An ancestor tenant has reached its budget of descendant tenants (it counts its whole subtree)."
            : $"This tenant has reached its budget of {limit} descendant tenants (it counts its whole subtree).") =>
        Limit = limit;
}
