using System.Text;

namespace Provisioning.Domain.Common;

/// <summary>
/// Display names and tenant names: trimmed of white space and of invisible characters at either end (a BOM or zero-width
/// space there would make "\uFEFFShop" a second "Shop" that looks the same), 1–100 characters (Unicode code points, as
/// PostgreSQL counts them: an emoji is one), at least one of them visible, no control characters
/// (<see cref="Text.IsValidName"/>).
/// </summary>
public static class DisplayName
{
    public const int MaxLength = 100;

    public static string Normalize(string? value, string field = "displayName") =>
        Problem(value, field) is { } problem ? throw new DomainRuleException(field, problem) : Trim(value!);

    /// <summary>
    /// A rename: false when <paramref name="sent"/> is exactly the name as it is (not checked again: a client sending back
    /// the name it read is not held to a rule newer than the name); otherwise the checked name in <paramref name="next"/>,
    /// and whether it differs from the current one.
    /// </summary>
    public static bool Changes(string current, string? sent, out string next, string field = "displayName")
    {
        if (sent == current)
        {
            next = current;
            return false;
        }

        next = Normalize(sent, field);
        return next != current;
    }

    /// <summary>What is wrong with <paramref name="value"/> as a name, in a sentence naming <paramref name="field"/>; null when nothing.</summary>
    public static string? Problem(string? value, string field = "displayName")
    {
        var trimmed = value is null ? null : Trim(value);
        if (string.IsNullOrEmpty(trimmed))
        {
            return $"{field} must not be blank.";
        }

        if (Text.IsLongerThan(trimmed, MaxLength))
        {
            return $"{field} must be at most {MaxLength} characters.";
        }

        return Text.NameProblem(trimmed, field);
    }

    /// <summary>Without white space and invisible characters at either end; empty when nothing visible is left.</summary>
    private static string Trim(string value)
    {
        var trimmed = Text.TrimInvisible(value);
        foreach (var rune in trimmed.EnumerateRunes())
        {
            if (!Text.IsInvisible(rune))
            {
                return trimmed;
            }
        }

        return string.Empty; // nothing visible: blank
    }
}
