using Provisioning.Domain.Apps;

namespace Provisioning.WebApi.Contracts;

/// <summary>App settings in a request: every field optional; absent fields keep their value (or default); none is null (400), and a setting the service does not have is a 400 naming it (settings.x).</summary>
public sealed record AppSettingsRequest(
    [property: NotNull("conversationRetentionSeconds"), Hosting.OpenApi.SchemaLimits(Minimum = 0)] int? ConversationRetentionSeconds,
    [property: NotNull("maskCreditCardNumbers")] bool? MaskCreditCardNumbers,
    [property: NotNull("useAnimalNames")] bool? UseAnimalNames,
    [property: NotNull("echoPostback")] bool? EchoPostback,
    [property: NotNull("ignoreAutoConversationStart")] bool? IgnoreAutoConversationStart,
    [property: NotNull("multiConvoEnabled")] bool? MultiConvoEnabled,
    [property: NotNull("appLocalizationEnabled")] bool? AppLocalizationEnabled,
    [property: NotNull("endSessionEnabled")] bool? EndSessionEnabled,
    [property: NotNull("disableConversationReopen")] bool? DisableConversationReopen)
{
    public AppSettingsChange ToChange() => new(ConversationRetentionSeconds, MaskCreditCardNumbers, UseAnimalNames, EchoPostback,
        IgnoreAutoConversationStart, MultiConvoEnabled, AppLocalizationEnabled, EndSessionEnabled, DisableConversationReopen);
}
