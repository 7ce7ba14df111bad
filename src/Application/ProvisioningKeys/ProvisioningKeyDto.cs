using System.Text.Json.Serialization;

namespace Provisioning.Application.ProvisioningKeys;

/// <summary>A provisioning key. <see cref="Secret"/> is only ever set in the create response.</summary>
public sealed record ProvisioningKeyDto(
    string Id,
    string DisplayName,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Secret,
    DateTimeOffset CreatedAt,
    bool Disabled,
    DateTimeOffset? ExpiresAt);
