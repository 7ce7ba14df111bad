namespace Provisioning.Application.Tenants.Queries.GetTenantTree;

public sealed record TenantTreeRow(string Id, string Name, int Depth, string Status, int? MaxApps, int? MaxTenants, int AppCount);
