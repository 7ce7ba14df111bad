using Provisioning.Domain.Common;

namespace Provisioning.Domain.Tenants;

/// <summary>
/// One more app would pass the app budget of the tenant or of one of its ancestors. An ancestor's budget is not
/// named: a descendant cannot read its ancestors (404), so the refusal does not tell it their plans either.
/// </summary>
public sealed class AppLimitReachedException : BudgetExceededException
{
    public AppLimitReachedException(int limit, bool ofAncestor = false)
        : base(ofAncestor
            ? "An ancestor tenant has reached its app budget (it counts the apps of its whole subtree)."
            : $"This tenant has reached its budget of {limit} apps (it counts the apps of its whole subtree).") =>
        Limit = limit;
}
