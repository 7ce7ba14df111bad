using System.Text.Json.Serialization;

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

/// <summary>A tenant in a list of children.</summary>
public sealed record TenantSummaryDto(
    string Id, string Name, string? ParentId, string? LogoUrl, int Contacts, int? MaxApps, int? MaxTenants, string Status, DateTimeOffset CreatedAt);

/// <summary>DailyStory's answer to a provisioning request.</summary>
public sealed record ProvisionedTenantDto(
    [property: JsonPropertyName("tenantuid")] string TenantUid,
    [property: JsonPropertyName("token")] string Token);

public sealed record TenantUserDto(string Email, DateTimeOffset CreatedAt);
