namespace Provisioning.Application.Tenants;

/// <summary>A tenant with its effective settings (inherited, with its own laid over), its own settings, users and app count.</summary>
public sealed record TenantDto(
    string Id,
    string Name,
    string? ParentId,
    string? LogoUrl,
    int Contacts,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Settings,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> OwnSettings,
    IReadOnlyList<string> Users,
    int? MaxApps,
    int? MaxTenants,
    int AppCount,
    string Status,
    DateTimeOffset CreatedAt);
