using System.Text.Json;
using Provisioning.Domain.Apps;
using Riok.Mapperly.Abstractions;

namespace Provisioning.Application.Apps;

public sealed record AppSettingsDto(
    int ConversationRetentionSeconds,
    bool MaskCreditCardNumbers,
    bool UseAnimalNames,
    bool EchoPostback,
    bool IgnoreAutoConversationStart,
    bool MultiConvoEnabled,
    bool AppLocalizationEnabled,
    bool EndSessionEnabled,
    bool DisableConversationReopen);

/// <summary>An app. <see cref="AppToken"/> is shown only in the v1.1 shape (Sunshine's v2 App has no such field).</summary>
public sealed record AppDto(
    string Id,
    string DisplayName,
    AppSettingsDto Settings,
    IReadOnlyDictionary<string, JsonElement>? Metadata,
    [property: System.Text.Json.Serialization.JsonIgnore] string AppToken);

[Mapper]
public static partial class AppMapper
{
    [MapperIgnoreSource(nameof(App.TenantId))]
    [MapperIgnoreSource(nameof(App.CreatedAt))]
    public static partial AppDto ToDto(this App app);

    private static partial AppSettingsDto ToDto(AppSettings settings);

    private static string MapId(Domain.Common.AppId id) => id.Value;

    private static IReadOnlyDictionary<string, JsonElement>? MapMetadata(string? metadata) =>
        metadata is null ? null : JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(metadata);
}
