namespace Provisioning.Application.Keys;

/// <summary>An app key, as Sunshine Conversations shows it: always with its secret.</summary>
public sealed record AppKeyDto(string Id, string DisplayName, string Secret, bool Disabled, DateTimeOffset? ExpiresAt)
{
    /// <summary>Printed without the secret (a record lists every member; what carries a secret out must not print it).</summary>
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append($"Id = {Id}, DisplayName = {DisplayName}, Secret = (secret), Disabled = {Disabled}, ExpiresAt = {ExpiresAt}");
        return true;
    }
}
