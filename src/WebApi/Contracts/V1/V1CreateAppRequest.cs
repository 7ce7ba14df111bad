using System.Text.Json;

namespace Provisioning.WebApi.Contracts.V1;

/// <summary>
/// A v1.1 app to create: <c>name</c> required (a <c>PUT</c>'s body, <see cref="V1AppRequest"/>, may leave it out), settings
/// not null (400); any other field (displayName, _id, appToken) is a 400 naming it.
/// </summary>
public sealed record V1CreateAppRequest(
    [property: NotNull("name"), Hosting.OpenApi.DisplayNameLimits(Required = true)] string? Name,
    [property: NotNull("settings")] AppSettingsRequest? Settings,
    JsonElement Metadata);
