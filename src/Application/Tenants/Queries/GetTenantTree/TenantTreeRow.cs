namespace Provisioning.Application.Tenants.Queries.GetTenantTree;

/// <summary>
/// A tenant of the operator's tree; <paramref name="IsRoot"/>: the root tenant itself (not merely the top of a subtree);
/// <paramref name="SuspendedBy"/>: while suspended, the tenant whose suspension it is (null when none holds it).
/// </summary>
public sealed record TenantTreeRow(string Id, string Name, int Depth, string Status, int? MaxApps, int? MaxTenants, int AppCount, bool IsRoot, string? SuspendedBy);
