using Provisioning.Domain.Common;

namespace Provisioning.Application.Common.Abstractions;

/// <summary>
/// Rules the store decides in SQL, for use inside queries (each is mapped to a database function by the
/// infrastructure; called outside a query, they throw).
/// </summary>
public static class StoreFunctions
{
    /// <summary>
    /// Whether the tenant or one of its ancestors is suspended (<c>tenant_or_ancestor_suspended</c>): the one rule the
    /// credentials' lookup, a create's budget reservation and this are judged by.
    /// </summary>
    public static bool TenantOrAncestorSuspended(TenantId tenant) =>
        throw new InvalidOperationException($"{nameof(TenantOrAncestorSuspended)} runs in the database, inside a query.");
}
