using System.Text.Json;

namespace Provisioning.WebApi.Contracts;

/// <summary><c>POST /v2/apps</c>.</summary>
public sealed record CreateAppRequest(string? DisplayName, AppSettingsRequest? Settings, JsonElement Metadata);
