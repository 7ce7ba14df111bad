namespace Provisioning.Application.Tenants;

/// <summary>
/// A tenant with its effective settings (inherited, with its own laid over), its own settings, users and app count.
/// <see cref="LastActivityAt"/>: the later of the last change made in it (its latest audit event) and the last use of one
/// of its credentials (recorded in batches, up to 15 s late); null when neither happened yet.
/// </summary>
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
    DateTimeOffset CreatedAt,
    DateTimeOffset? LastActivityAt);
