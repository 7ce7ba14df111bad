using System.Text.Json;

namespace Provisioning.WebApi.Contracts;

/// <summary>
/// <c>PATCH /v2/apps/{appId}</c>: displayName replaced, settings merged by field, metadata merged by key (null removes).
/// displayName and settings have no null (400).
/// </summary>
public sealed record UpdateAppRequest(
    [property: NotNull("displayName")] string? DisplayName,
    [property: NotNull("settings")] AppSettingsRequest? Settings,
    JsonElement Metadata);
