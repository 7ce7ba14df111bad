using Provisioning.Domain.Common;

namespace Provisioning.Domain.Apps;

/// <summary>A partial settings object: null fields are left as they are.</summary>
public sealed record AppSettingsChange(
    int? ConversationRetentionSeconds = null,
    bool? MaskCreditCardNumbers = null,
    bool? UseAnimalNames = null,
    bool? EchoPostback = null,
    bool? IgnoreAutoConversationStart = null,
    bool? MultiConvoEnabled = null,
    bool? AppLocalizationEnabled = null,
    bool? EndSessionEnabled = null,
    bool? DisableConversationReopen = null);
