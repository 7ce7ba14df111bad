using System.Text.Json;
using System.Text.Json.Serialization;
using Provisioning.Application.Apps;
using Provisioning.Application.Common.Paging;
using Provisioning.Application.Keys;
using Provisioning.Application.ServiceAccounts;

namespace Provisioning.WebApi.Contracts.V1;

// Sunshine Conversations v1.1 shapes (for smooch-core): "_id" and "name" instead of "id" and
// "displayName"; lists paged by limit/offset as {"<items>": [...], "hasMore", "offset"}.

public sealed record V1NameRequest(string? Name);

/// <summary>Creating a key in the v1.1 shape: its name and, as on the v2 routes, an optional <c>expiresAt</c>.</summary>
public sealed record V1CreateKeyRequest(string? Name, DateTimeOffset? ExpiresAt);

public sealed record V1AppRequest(string? Name, AppSettingsRequest? Settings, JsonElement Metadata);

public sealed record V1App(
    [property: JsonPropertyName("_id")] string Id,
    string AppToken,
    string Name,
    AppSettingsDto Settings,
    IReadOnlyDictionary<string, JsonElement>? Metadata)
{
    public static V1App From(AppDto app) => new(app.Id, app.AppToken, app.DisplayName, app.Settings, app.Metadata);
}

public sealed record V1AppResponse(V1App App);

public sealed record V1AppListResponse(IReadOnlyList<V1App> Apps, bool HasMore, int Offset)
{
    public static V1AppListResponse From(OffsetPage<AppDto> page) => new([.. page.Items.Select(V1App.From)], page.HasMore, page.Offset);
}

public sealed record V1ServiceAccount([property: JsonPropertyName("_id")] string Id, string Name)
{
    public static V1ServiceAccount From(ServiceAccountDto account) => new(account.Id, account.DisplayName);
}

public sealed record V1ServiceAccountResponse(V1ServiceAccount ServiceAccount);

public sealed record V1ServiceAccountListResponse(IReadOnlyList<V1ServiceAccount> ServiceAccounts, bool HasMore, int Offset)
{
    public static V1ServiceAccountListResponse From(OffsetPage<ServiceAccountDto> page) =>
        new([.. page.Items.Select(V1ServiceAccount.From)], page.HasMore, page.Offset);
}

public sealed record V1Key([property: JsonPropertyName("_id")] string Id, string Name, string Secret)
{
    public static V1Key From(KeyDto key) => new(key.Id, key.DisplayName, key.Secret ?? string.Empty);

    public static V1Key From(AppKeyDto key) => new(key.Id, key.DisplayName, key.Secret);
}

public sealed record V1KeyResponse(V1Key Key);

public sealed record V1KeyListResponse(IReadOnlyList<V1Key> Keys);

/// <summary>limit (1–100, default 25) and offset (≥ 0) query parameters.</summary>
public sealed class V1PageQuery
{
    [Microsoft.AspNetCore.Mvc.FromQuery(Name = "limit")] public int? Limit { get; init; }
    [Microsoft.AspNetCore.Mvc.FromQuery(Name = "offset")] public int? Offset { get; init; }

    public OffsetPageRequest ToRequest() => new(Limit, Offset);
}
