using System.Buffers;
using System.Globalization;
using System.Text;

namespace Provisioning.Domain.Common;

/// <summary>
/// What text the service stores. PostgreSQL cannot store NUL, and control characters in names make
/// logs and user interfaces lie, so: names hold no control character at all; free text (setting and
/// metadata values) may hold tab, CR and LF but no other C0 control character (NUL included) or DEL.
/// </summary>
public static class Text
{
    /// <summary>
    /// No C0 or C1 control character, no DEL, no line or paragraph separator (U+2028, U+2029: line breaks, as CR and LF),
    /// no bidirectional embedding, override or isolate (U+202A–U+202E, U+2066–U+2069), which would make the name display in
    /// another order than it is stored ("Trojan Source"), and no noncharacter (U+FDD0–U+FDEF, and U+FFFE and U+FFFF of any
    /// plane: reserved for a program's own use, never text).
    /// </summary>
    public static bool IsValidName(string value)
    {
        // The common case, every character below U+0080 and printable, without decoding.
        if (!value.AsSpan().ContainsAnyExceptInRange(' ', '~'))
        {
            return true;
        }

        foreach (var rune in value.EnumerateRunes())
        {
            if (IsRefusedInName(rune))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The one list of what a name may not hold (<see cref="IsValidName"/>).</summary>
    private static bool IsRefusedInName(Rune r) => IsControlOrLineBreak(r) || IsBidiControl(r) || IsNoncharacter(r);

    /// <summary>C0 and C1 controls, DEL, and the line and paragraph separators: never trimmed away, refused at an end as inside.</summary>
    private static bool IsControlOrLineBreak(Rune r) => r.Value is <= 0x1F or (>= 0x7F and <= 0x9F) or 0x2028 or 0x2029;

    /// <summary>
    /// Bidirectional embeddings, overrides and isolates: refused inside a name, trimmed at its ends, where they reorder
    /// nothing (libraries wrap whole strings in them: Fluent's isolating FSI…PDI, Android's BidiFormatter).
    /// </summary>
    private static bool IsBidiControl(Rune r) => r.Value is (>= 0x202A and <= 0x202E) or (>= 0x2066 and <= 0x2069);

    /// <summary>
    /// What a text log line must not hold as sent: a control character or line break splits or colours the line, a bidi
    /// control or an implicit direction mark (U+200E, U+200F, U+061C) reorders how it reads (loggers encode these before
    /// writing text a client chose).
    /// </summary>
    public static bool MayForgeALogLine(Rune r) => IsControlOrLineBreak(r) || IsBidiControl(r) || r.Value is 0x200E or 0x200F or 0x061C;

    /// <summary>
    /// <paramref name="value"/> with each character that <see cref="MayForgeALogLine"/> written as its escape (<c>\u202E</c>):
    /// what an error's title says, which quotes what a client sent (an address, a field's name), so that a right-to-left
    /// override in it does not reorder the rest of the sentence where it is read, nor a line break split it.
    /// </summary>
    public static string Visible(string value)
    {
        var first = 0;
        foreach (var rune in value.EnumerateRunes())
        {
            if (MayForgeALogLine(rune))
            {
                var shown = new StringBuilder(value, 0, first, value.Length + 16);
                foreach (var rest in value.AsSpan(first).EnumerateRunes())
                {
                    _ = MayForgeALogLine(rest) ? shown.Append(CultureInfo.InvariantCulture, $"\\u{rest.Value:X4}") : shown.Append(rest.ToString());
                }

                return shown.ToString();
            }

            first += rune.Utf16SequenceLength;
        }

        return value;
    }

    private static bool IsNoncharacter(Rune r) => r.Value is >= 0xFDD0 and <= 0xFDEF || (r.Value & 0xFFFE) == 0xFFFE;

    /// <summary>
    /// <paramref name="url"/> as it may be printed (a log line of the request that sent it): not at all when it holds a user
    /// name or password (a logo URL is refused for that, after MVC's Trace line of the action's arguments printed it), or
    /// when it has an '@' and cannot be read as an absolute URL (where the password would be is then not known).
    /// </summary>
    public static string? PrintableUrl(string? url) =>
        url is null || !url.Contains('@', StringComparison.Ordinal)
        || (Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri) && uri.UserInfo.Length == 0)
            ? url
            : "(a URL with a user name or password: not printed)";

    /// <summary>
    /// Whether <paramref name="value"/> has more than <paramref name="max"/> characters, counted as people and PostgreSQL's
    /// <c>varchar(n)</c> count them: in code points (an emoji is one character, two UTF-16 units). Every length rule uses it.
    /// </summary>
    public static bool IsLongerThan(string value, int max) => value.Length > max && value.EnumerateRunes().Count() > max;

    /// <summary>
    /// <paramref name="value"/> as a title or a log line quotes it: whole when it has at most <paramref name="max"/> UTF-16
    /// units, else its first ones and "…" — never half of a character that takes two (an emoji, a rare ideograph: an email's
    /// refusal ended in U+FFFD, a probe).
    /// </summary>
    public static string Shortened(string value, int max) =>
        value.Length <= max ? value : string.Concat(value.AsSpan(0, char.IsHighSurrogate(value[max - 1]) ? max - 1 : max), "…");

    /// <summary>
    /// What someone typed (an operator's argument), as a sentence may say it back: <see cref="Visible"/>, and at most 100
    /// characters (<see cref="Shortened"/>): an argument with an escape sequence coloured the terminal, one of 5,000
    /// characters was said whole (a probe of the verbs).
    /// </summary>
    public static string Echo(string typed) => Shortened(Visible(typed), 100);

    public static bool IsValidFreeText(string value)
    {
        foreach (var c in value)
        {
            if (IsAsciiControl(c) && c is not ('\t' or '\r' or '\n'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// A C0 control character (tab, CR and LF included) or DEL: what free text holds only as tab, CR and LF, and a JSON
    /// member name of a request body not at all (<c>WebApi/Contracts/Json/JsonBodyText</c>).
    /// </summary>
    public static bool IsAsciiControl(char c) => c < ' ' || c == '\u007f';

    /// <summary>Whether <paramref name="value"/> holds an <see cref="IsAsciiControl"/> character (a vectorised search).</summary>
    public static bool HasAsciiControl(ReadOnlySpan<char> value) => value.IndexOfAnyInRange('\u0000', '\u001f') >= 0 || value.Contains('\u007f');

    /// <summary>Throws a 400-class rule violation naming <paramref name="field"/> when a name holds a control character.</summary>
    public static void EnsureName(string value, string field)
    {
        if (NameProblem(value, field) is { } problem)
        {
            throw new DomainRuleException(field, problem);
        }
    }

    /// <summary>The sentence <see cref="EnsureName"/> throws, or null when the name is fine.</summary>
    public static string? NameProblem(string value, string field) =>
        IsValidName(value) ? null : $"{field} must not contain control characters.";

    /// <summary>Throws a 400-class rule violation naming <paramref name="field"/> when free text holds NUL or a control character other than tab, CR or LF.</summary>
    public static void EnsureFreeText(string value, string field)
    {
        if (!IsValidFreeText(value))
        {
            throw new DomainRuleException(field, FreeTextRule(field));
        }
    }

    /// <summary>The sentence for free text that breaks <see cref="IsValidFreeText"/>, naming <paramref name="field"/>.</summary>
    public static string FreeTextRule(string field) => $"{field} must not contain NUL or control characters other than tab, CR and LF.";

    // Characters that show nothing on their own and are neither white space nor of the Format category (zero-width space
    // and joiners, marks, soft hyphen, BOM, …): the combining grapheme joiner, the Hangul fillers and the Khmer inherent
    // vowels (Unicode's Default_Ignorable_Code_Point, less what the category and the selectors below already cover).
    // The Braille pattern blank (U+2800) is a symbol by category but shows as a space (a probe named it its tenant).
    private static readonly SearchValues<char> Blank = SearchValues.Create("\u034f\u115f\u1160\u17b4\u17b5\u2800\u3164\uffa0");

    // Tag characters (U+E0020–U+E007F) are Format too, but they end a flag's emoji sequence, so the end of a name keeps them;
    // variation selectors (U+FE00–U+FE0F, U+E0100–U+E01EF, and Mongolian's free ones U+180B–U+180D, U+180F) show nothing
    // alone but choose how the character before them looks.
    private static bool IsTag(Rune r) => r.Value is >= 0xE0020 and <= 0xE007F;

    private static bool IsVariationSelector(Rune r) =>
        r.Value is >= 0xFE00 and <= 0xFE0F or >= 0xE0100 and <= 0xE01EF or >= 0x180B and <= 0x180D or 0x180F;

    /// <summary>
    /// What a name is trimmed of at either end: white space and invisible characters (bidirectional formatting included),
    /// but a flag's tag characters, and no control character or line break (a tab, CR, LF, NEL or U+2028 left on by a
    /// client): those are refused (<see cref="IsValidName"/>) at an end as anywhere else, not made to disappear.
    /// </summary>
    public static bool IsTrimmable(Rune r) =>
        !IsControlOrLineBreak(r)
        && (Rune.IsWhiteSpace(r) || (r.IsBmp && Blank.Contains((char)r.Value))
            || (Rune.GetUnicodeCategory(r) == UnicodeCategory.Format && !IsTag(r) && !IsPrependedConcatenationMark(r)));

    // Format characters that show: Unicode's Prepended_Concatenation_Mark (the Arabic number sign and its kin, written
    // before the digits they span), which a name may begin with.
    private static bool IsPrependedConcatenationMark(Rune r) =>
        r.Value is (>= 0x0600 and <= 0x0605) or 0x06DD or 0x070F or 0x0890 or 0x0891 or 0x08E2 or 0x110BD or 0x110CD;

    /// <summary>
    /// <paramref name="value"/> without what <see cref="IsTrimmable"/> holds at either end: the one trimming of names, and
    /// of a logo's URL.
    /// </summary>
    public static string TrimInvisible(string value)
    {
        var start = 0;
        while (start < value.Length && Rune.DecodeFromUtf16(value.AsSpan(start), out var rune, out var used) == OperationStatus.Done
               && IsTrimmable(rune))
        {
            start += used;
        }

        var end = value.Length;
        while (end > start && Rune.DecodeLastFromUtf16(value.AsSpan(start, end - start), out var rune, out var used) == OperationStatus.Done
               && IsTrimmable(rune))
        {
            end -= used;
        }

        return value[start..end];
    }

    /// <summary>A character that shows nothing on its own (white space included).</summary>
    public static bool IsInvisible(Rune r) =>
        IsTrimmable(r) || IsTag(r) || IsVariationSelector(r);

    /// <summary>Whether <paramref name="value"/> holds a character that shows nothing (<see cref="IsInvisible"/>) anywhere.</summary>
    public static bool HasInvisible(string value)
    {
        foreach (var rune in value.EnumerateRunes())
        {
            if (IsInvisible(rune))
            {
                return true;
            }
        }

        return false;
    }
}
