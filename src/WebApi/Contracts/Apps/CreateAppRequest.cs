using System.Text.Json;

namespace Provisioning.WebApi.Contracts;

/// <summary><c>POST /v2/apps</c>: settings may be left out (defaults), not null (400, as on v1.1). Any other field is a 400 naming it.</summary>
public sealed record CreateAppRequest([property: Hosting.OpenApi.DisplayNameLimits(Required = true)] string? DisplayName, [property: NotNull("settings")] AppSettingsRequest? Settings, JsonElement Metadata);
