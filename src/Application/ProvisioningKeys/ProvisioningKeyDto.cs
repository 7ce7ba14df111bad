using System.Text.Json.Serialization;

namespace Provisioning.Application.ProvisioningKeys;

/// <summary>A provisioning key. <see cref="Secret"/> is only ever set in the create response.</summary>
public sealed record ProvisioningKeyDto(
    string Id,
    string DisplayName,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Secret,
    DateTimeOffset CreatedAt,
    bool Disabled,
    DateTimeOffset? ExpiresAt)
{
    /// <summary>Printed without the secret (a record lists every member; what carries a secret out must not print it).</summary>
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append($"Id = {Id}, DisplayName = {DisplayName}, Secret = (secret), CreatedAt = {CreatedAt}, Disabled = {Disabled}, ExpiresAt = {ExpiresAt}");
        return true;
    }
}
