using Provisioning.Domain.Common;

namespace Provisioning.Application.Common.Exceptions;

/// <summary>
/// A suspension or a budget change that waited <paramref name="wait"/> for the creates and deletions under way in the
/// tenant's subtree and gave up, so that they are not held off longer (<c>ITenantBudgets.HoldCreatesAsync</c>): 503, to be
/// retried. A large descendant's deletion, or a steady stream of creates in a subtree with a budget when the database is far
/// away (each holds the budget's row for its round trips), was told as a database fault: an Error line with a stack trace
/// for "canceling statement due to lock timeout" (a probe with the database 80 ms away).
/// </summary>
public sealed class SubtreeBusyException(string wait) : ExpectedException("service_unavailable", 503,
    $"Creates or deletions under way in this tenant's subtree did not finish within {wait}, so this change (a suspension or a budget) was not made; retry.");
