using System.Text.Json.Serialization;
using Provisioning.Application.Keys;

namespace Provisioning.WebApi.Contracts.V1;

/// <summary>
/// A key as Sunshine's v1.1 shows it (<c>_id</c>, <c>name</c>, <c>secret</c>), with this service's <c>disabled</c> and
/// <c>expiresAt</c> (API.md §12: keys gain them; a key made with <c>expiresAt</c> through v1.1 shows it back).
/// </summary>
public sealed record V1Key([property: JsonPropertyName("_id")] string Id, string Name, string Secret, bool Disabled, DateTimeOffset? ExpiresAt)
{
    /// <summary>Printed without the secret (a record lists every member; what carries a secret out must not print it).</summary>
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append($"Id = {Id}, Name = {Name}, Secret = (secret), Disabled = {Disabled}, ExpiresAt = {ExpiresAt}");
        return true;
    }

    public static V1Key From(KeyDto key) => new(key.Id, key.DisplayName, key.Secret ?? string.Empty, key.Disabled, key.ExpiresAt);

    public static V1Key From(AppKeyDto key) => new(key.Id, key.DisplayName, key.Secret, key.Disabled, key.ExpiresAt);
}
