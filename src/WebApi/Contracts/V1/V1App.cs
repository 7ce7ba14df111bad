using System.Text.Json;
using System.Text.Json.Serialization;
using Provisioning.Application.Apps;

namespace Provisioning.WebApi.Contracts.V1;

// Sunshine Conversations v1.1 shapes (for smooch-core): "_id" and "name" instead of "id" and
// "displayName"; lists paged by limit/offset as {"<items>": [...], "hasMore", "offset"}.

public sealed record V1App(
    [property: JsonPropertyName("_id")] string Id,
    string AppToken,
    string Name,
    AppSettingsDto Settings,
    IReadOnlyDictionary<string, JsonElement>? Metadata)
{
    public static V1App From(AppDto app) => new(app.Id, app.AppToken, app.DisplayName, app.Settings, app.Metadata);
}
