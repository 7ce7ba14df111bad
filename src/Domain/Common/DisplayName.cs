namespace Provisioning.Domain.Common;

/// <summary>Display names and tenant names: trimmed, 1–100 characters, no control characters.</summary>
public static class DisplayName
{
    public const int MaxLength = 100;

    public static string Normalize(string? value, string field = "displayName")
    {
        var trimmed = value?.Trim();
        if (string.IsNullOrEmpty(trimmed))
        {
            throw new DomainRuleException(field, $"{field} must not be blank.");
        }

        if (trimmed.Length > MaxLength)
        {
            throw new DomainRuleException(field, $"{field} must be at most {MaxLength} characters.");
        }

        Text.EnsureName(trimmed, field);

        return trimmed;
    }
}
