using System.Text.Json;

namespace Provisioning.WebApi.Contracts.V1;

public sealed record V1AppRequest(string? Name, AppSettingsRequest? Settings, JsonElement Metadata);
