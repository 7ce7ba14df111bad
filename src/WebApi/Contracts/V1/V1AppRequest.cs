using System.Text.Json;

namespace Provisioning.WebApi.Contracts.V1;

/// <summary>A v1.1 app's <c>PUT</c> body (a create's is <see cref="V1CreateAppRequest"/>): every field optional; name and settings have no null (400); any other field (displayName, or the _id and appToken of a read-modify-write) is a 400 naming it.</summary>
public sealed record V1AppRequest(
    [property: NotNull("name")] [property: Hosting.OpenApi.DisplayNameLimits] string? Name,
    [property: NotNull("settings")] AppSettingsRequest? Settings,
    JsonElement Metadata);
