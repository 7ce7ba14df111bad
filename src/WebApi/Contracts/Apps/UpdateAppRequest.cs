using System.Text.Json;

namespace Provisioning.WebApi.Contracts;

/// <summary>
/// <c>PATCH /v2/apps/{appId}</c>: displayName replaced, settings merged by field, metadata merged by key (null removes).
/// displayName and settings have no null (400); any other field is a 400 naming it.
/// </summary>
// (Ignored, {"name":…} in a v2 PATCH, the v1.1 name, answered 200 and changed nothing: a probe.)
public sealed record UpdateAppRequest(
    [property: NotNull("displayName")] [property: Hosting.OpenApi.DisplayNameLimits] string? DisplayName,
    [property: NotNull("settings")] AppSettingsRequest? Settings,
    JsonElement Metadata);
