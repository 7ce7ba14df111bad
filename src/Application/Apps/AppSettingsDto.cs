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
