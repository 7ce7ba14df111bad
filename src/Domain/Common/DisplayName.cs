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

    // Tag characters (U+E0020–U+E007F) are Format too, but they end a flag's emoji sequence, so the end of a name keeps them;
    // variation selectors (U+FE00–U+FE0F, U+E0100–U+E01EF) show nothing alone but choose how an emoji before them looks.
    private static bool IsTag(Rune r) => r.Value is >= 0xE0020 and <= 0xE007F;

    private static bool IsVariationSelector(Rune r) => r.Value is >= 0xFE00 and <= 0xFE0F or >= 0xE0100 and <= 0xE01EF;

    private static bool IsTrimmable(Rune r) =>
        Rune.IsWhiteSpace(r) || (r.IsBmp && Blank.Contains((char)r.Value))
        || (Rune.GetUnicodeCategory(r) == System.Globalization.UnicodeCategory.Format && !IsTag(r));

    private static bool IsInvisible(Rune r) =>
        IsTrimmable(r) || IsTag(r) || IsVariationSelector(r);

    /// <summary>Without white space and invisible characters at either end; empty when nothing visible is left.</summary>
    private static string Trim(string value)
    {
        var start = 0;
        while (start < value.Length && Rune.DecodeFromUtf16(value.AsSpan(start), out var rune, out var used) == System.Buffers.OperationStatus.Done
               && IsTrimmable(rune))
        {
            start += used;
        }

        var end = value.Length;
        while (end > start && Rune.DecodeLastFromUtf16(value.AsSpan(start, end - start), out var rune, out var used) == System.Buffers.OperationStatus.Done
               && IsTrimmable(rune))
        {
            end -= used;
        }

        var trimmed = value[start..end];
        foreach (var rune in trimmed.EnumerateRunes())
        {
            if (!IsInvisible(rune))
            {
                return trimmed;
            }
        }

        return string.Empty; // nothing visible: blank
    }

}
