namespace Provisioning.Domain.Common;

/// <summary>Display names and tenant names: trimmed, 1–100 characters, no control characters.</summary>
public static class DisplayName
{
    public const int MaxLength = 100;

    public static string Normalize(string? value, string field = "displayName") =>
        Problem(value, field) is { } problem ? throw new DomainRuleException(field, problem) : value!.Trim();

    /// <summary>What is wrong with <paramref name="value"/> as a name, in a sentence naming <paramref name="field"/>; null when nothing.</summary>
    public static string? Problem(string? value, string field = "displayName")
    {
        var trimmed = value?.Trim();
        if (string.IsNullOrEmpty(trimmed))
        {
            return $"{field} must not be blank.";
        }

        if (trimmed.Length > MaxLength)
        {
            return $"{field} must be at most {MaxLength} characters.";
        }

        return Text.NameProblem(trimmed, field);
    }
}
