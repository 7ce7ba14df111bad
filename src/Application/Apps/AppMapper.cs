using System.Text.Json;
using Provisioning.Domain.Apps;
using Riok.Mapperly.Abstractions;

namespace Provisioning.Application.Apps;

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
