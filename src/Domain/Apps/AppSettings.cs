using Provisioning.Domain.Common;

namespace Provisioning.Domain.Apps;

/// <summary>An app's settings, always complete: every field has a value, defaults filled in.</summary>
public sealed record AppSettings
{
    public static readonly AppSettings Default = new();

    public int ConversationRetentionSeconds { get; init; }
    public bool MaskCreditCardNumbers { get; init; } = true;
    public bool UseAnimalNames { get; init; }
    public bool EchoPostback { get; init; }
    public bool IgnoreAutoConversationStart { get; init; }
    public bool MultiConvoEnabled { get; init; }
    public bool AppLocalizationEnabled { get; init; } = true;
    public bool EndSessionEnabled { get; init; }
    public bool DisableConversationReopen { get; init; }

    /// <summary>Lays the given fields over these settings, enforcing the rules of each field.</summary>
    public AppSettings With(AppSettingsChange change)
    {
        if (change.ConversationRetentionSeconds is < 0)
        {
            throw new DomainRuleException("settings.conversationRetentionSeconds", "settings.conversationRetentionSeconds must be 0 or more.");
        }

        if (MultiConvoEnabled && change.MultiConvoEnabled == false)
        {
            throw new DomainRuleException("settings.multiConvoEnabled", "settings.multiConvoEnabled cannot be turned off once enabled.");
        }

        var next = this with
        {
            ConversationRetentionSeconds = change.ConversationRetentionSeconds ?? ConversationRetentionSeconds,
            MaskCreditCardNumbers = change.MaskCreditCardNumbers ?? MaskCreditCardNumbers,
            UseAnimalNames = change.UseAnimalNames ?? UseAnimalNames,
            EchoPostback = change.EchoPostback ?? EchoPostback,
            IgnoreAutoConversationStart = change.IgnoreAutoConversationStart ?? IgnoreAutoConversationStart,
            MultiConvoEnabled = change.MultiConvoEnabled ?? MultiConvoEnabled,
            AppLocalizationEnabled = change.AppLocalizationEnabled ?? AppLocalizationEnabled,
            EndSessionEnabled = change.EndSessionEnabled ?? EndSessionEnabled,
            DisableConversationReopen = change.DisableConversationReopen ?? DisableConversationReopen,
        };

        // Ending a session and refusing to reopen a conversation only make sense with several conversations per user.
        if (!next.MultiConvoEnabled && next.EndSessionEnabled)
        {
            throw new DomainRuleException("settings.endSessionEnabled", "settings.endSessionEnabled may be true only while settings.multiConvoEnabled is true.");
        }

        if (!next.MultiConvoEnabled && next.DisableConversationReopen)
        {
            throw new DomainRuleException(
                "settings.disableConversationReopen", "settings.disableConversationReopen may be true only while settings.multiConvoEnabled is true.");
        }

        return next;
    }
}
