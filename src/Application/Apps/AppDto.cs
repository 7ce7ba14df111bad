using System.Text.Json;

namespace Provisioning.Application.Apps;

/// <summary>An app. <see cref="AppToken"/> is shown only in the v1.1 shape (Sunshine's v2 App has no such field).</summary>
public sealed record AppDto(
    string Id,
    string DisplayName,
    AppSettingsDto Settings,
    IReadOnlyDictionary<string, JsonElement>? Metadata,
    [property: System.Text.Json.Serialization.JsonIgnore] string AppToken);
