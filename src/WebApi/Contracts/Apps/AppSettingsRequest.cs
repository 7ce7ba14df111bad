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
