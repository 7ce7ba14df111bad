namespace Provisioning.Application.Keys;

/// <summary>An account or service-account key. <see cref="Secret"/> is null where it is not shown (account keys after creation).</summary>
public sealed record KeyDto(
    string Id,
    string DisplayName,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? Secret,
    DateTimeOffset CreatedAt,
    DateTimeOffset? LastUsedAt,
    bool Disabled,
    DateTimeOffset? ExpiresAt)
{
    /// <summary>Printed without the secret (a record lists every member; what carries a secret out must not print it).</summary>
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append($"Id = {Id}, DisplayName = {DisplayName}, Secret = (secret), CreatedAt = {CreatedAt}, LastUsedAt = {LastUsedAt}, Disabled = {Disabled}, ExpiresAt = {ExpiresAt}");
        return true;
    }
}
