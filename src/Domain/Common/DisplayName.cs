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

    /// <summary>What is wrong with <paramref name="value"/> as a name, in a sentence naming <paramref name="field"/>; null when nothing.</summary>
    public static string? Problem(string? value, string field = "displayName")
    {
        var trimmed = value is null ? null : Trim(value);
        if (string.IsNullOrEmpty(trimmed))
        {
            return $"{field} must not be blank.";
        }

        if (trimmed.Length > MaxLength && trimmed.EnumerateRunes().Count() > MaxLength)
        {
            return $"{field} must be at most {MaxLength} characters.";
        }

        return Text.NameProblem(trimmed, field);
    }

    // Characters that show nothing on their own and are neither white space (which Trim takes) nor of the Format category
    // (zero-width space and joiners, marks, soft hyphen, BOM, …): the combining grapheme joiner and the Hangul fillers.
    private static readonly System.Buffers.SearchValues<char> Blank = System.Buffers.SearchValues.Create("\u034f\u115f\u1160\u3164\uffa0");

    private static bool IsInvisible(char c) =>
        char.IsWhiteSpace(c) || Blank.Contains(c) || char.GetUnicodeCategory(c) == System.Globalization.UnicodeCategory.Format;

    /// <summary>Without white space and invisible characters at either end; empty when nothing visible is left.</summary>
    private static string Trim(string value)
    {
        var start = 0;
        var end = value.Length;
        while (start < end && IsInvisible(value[start]))
        {
            start++;
        }

        while (end > start && IsInvisible(value[end - 1]))
        {
            end--;
        }

        return value[start..end];
    }

}
