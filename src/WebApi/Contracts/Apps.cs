using System.Text.Json;
using Provisioning.Application.Apps;
using Provisioning.Domain.Apps;

namespace Provisioning.WebApi.Contracts;

/// <summary>App settings in a request: every field optional; absent fields keep their value (or default).</summary>
public sealed record AppSettingsRequest(
    int? ConversationRetentionSeconds,
    bool? MaskCreditCardNumbers,
    bool? UseAnimalNames,
    bool? EchoPostback,
    bool? IgnoreAutoConversationStart,
    bool? MultiConvoEnabled,
    bool? AppLocalizationEnabled,
    bool? EndSessionEnabled,
    bool? DisableConversationReopen)
{
    public AppSettingsChange ToChange() => new(ConversationRetentionSeconds, MaskCreditCardNumbers, UseAnimalNames, EchoPostback,
        IgnoreAutoConversationStart, MultiConvoEnabled, AppLocalizationEnabled, EndSessionEnabled, DisableConversationReopen);
}

/// <summary><c>POST /v2/apps</c>.</summary>
public sealed record CreateAppRequest(string? DisplayName, AppSettingsRequest? Settings, JsonElement Metadata);

/// <summary><c>PATCH /v2/apps/{appId}</c>: displayName replaced, settings merged by field, metadata merged by key (null removes).</summary>
public sealed record UpdateAppRequest(string? DisplayName, AppSettingsRequest? Settings, JsonElement Metadata);

public sealed record AppResponse(AppDto App);

public sealed record AppListResponse(IReadOnlyList<AppDto> Apps, PageMeta Meta, PageLinks Links);

/// <summary>The empty object some routes answer with.</summary>
public sealed record EmptyResponse;
