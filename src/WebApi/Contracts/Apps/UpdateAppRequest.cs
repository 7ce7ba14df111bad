using System.Text.Json;

namespace Provisioning.WebApi.Contracts;

/// <summary><c>PATCH /v2/apps/{appId}</c>: displayName replaced, settings merged by field, metadata merged by key (null removes).</summary>
public sealed record UpdateAppRequest(string? DisplayName, AppSettingsRequest? Settings, JsonElement Metadata);
