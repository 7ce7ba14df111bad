using System.Text.Json;

namespace Provisioning.WebApi.Contracts.V1;

/// <summary>A v1.1 app's body (create and <c>PUT</c>): name and settings have no null (400); any other field (displayName, or the _id and appToken of a read-modify-write) is a 400 naming it.</summary>
public sealed record V1AppRequest(
    [property: NotNull("name")] [property: Hosting.OpenApi.SchemaLimits(MinLength = 1, MaxLength = Domain.Common.DisplayName.MaxLength)] string? Name,
    [property: NotNull("settings")] AppSettingsRequest? Settings,
    JsonElement Metadata);
