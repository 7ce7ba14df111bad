namespace Provisioning.Application.Tenants;

/// <summary>A tenant in a list of children.</summary>
public sealed record TenantSummaryDto(
    string Id, string Name, string? ParentId, string? LogoUrl, int Contacts, int? MaxApps, int? MaxTenants, string Status, DateTimeOffset CreatedAt);
