using System.Globalization;
using System.Net.Mail;
using Provisioning.Domain.Common;

namespace Provisioning.Domain.Tenants;

/// <summary>A user of a tenant, known by email address (stored lower-cased).</summary>
public sealed class TenantUser
{
    public const int MaxEmailLength = 254;

    private TenantUser()
    {
        Email = string.Empty;
    }

    public TenantId TenantId { get; private set; }
    public string Email { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }

    internal static TenantUser Create(TenantId tenant, string email, DateTimeOffset now) =>
        new() { TenantId = tenant, Email = email, CreatedAt = now };

    /// <summary>RFC 5321 §4.5.3.1.1: at most 64 octets before the '@'.</summary>
    public const int MaxLocalPartLength = 64;

    /// <summary>Trims, checks and brings an address to its stored form (<see cref="Canonical"/>).</summary>
    public static string NormalizeEmail(string? email, string field = "emails")
    {
        var canonical = email is null ? string.Empty : Canonical(email);
        return IsValid(canonical)
            ? canonical
            : throw new DomainRuleException(field, email is null
                ? $"{field} must be an email address (it is missing or null)."
                : $"{field}: '{Truncate(email.Trim(' '))}' is not a valid email address.");
    }

    /// <summary>Whether <paramref name="email"/> is an address by today's rules (one stored under older rules may not be).</summary>
    public static bool IsAddress(string email) => IsValid(Canonical(email));

    private static bool IsValid(string address)
    {
        // An address is a name people read: no control character and no bidirectional override (Text.IsValidName), and
        // nothing invisible (a BOM, a zero-width space, a soft hyphen: a second ceo@acme.com that looks the same).
        if (address.Length == 0 || Text.IsLongerThan(address, MaxEmailLength) || !Text.IsValidName(address) || Text.HasInvisible(address)
            || !MailAddress.TryCreate(address, out var parsed) || parsed.Address != address)
        {
            return false;
        }

        var at = address.LastIndexOf('@');
        var domain = address[(at + 1)..];
        var labels = domain.Split('.');
        // RFC 1035 labels: 1–63 characters of letters, digits and hyphens (any script's letters and digits: an
        // internationalised name), no hyphen at either end (MailAddress lets "x@-y.com" and "x@a_b.com" through).
        // RFC 5322's dot-atom: no dot at the end of the local part either (MailAddress refuses one at its start or two in a row).
        return at > 0 && address[at - 1] != '.' && System.Text.Encoding.UTF8.GetByteCount(address.AsSpan(0, at)) <= MaxLocalPartLength
               && domain.Length > 0 && domain.Contains('.')
               && labels.All(label => label.Length is > 0 and <= MaxLabelOctets && label[0] != '-' && label[^1] != '-'
                                      && label.EnumerateRunes().All(IsLabelCharacter))
               && FitsDns(labels);
    }

    /// <summary>
    /// Whether the domain fits DNS in the ASCII form DNS holds it in (an internationalised name's "xn--" labels,
    /// <see cref="Punycode"/>): each label at most 63 octets, the whole at most 253. A label of 40 different ideographs is
    /// 40 characters as written and 102 octets that way — an address the rules above let in and no mail could reach (a probe).
    /// </summary>
    private static bool FitsDns(string[] labels)
    {
        var ascii = labels.Select(Punycode.ToAscii).ToList();
        return ascii.All(label => label.Length <= MaxLabelOctets) && ascii.Sum(label => label.Length + 1) - 1 <= MaxDomainOctets;
    }

    /// <summary>RFC 1035: at most 63 octets a label.</summary>
    private const int MaxLabelOctets = 63;

    /// <summary>RFC 1035's 255 octets on the wire: 253 characters written with dots.</summary>
    private const int MaxDomainOctets = 253;

    // A hyphen, or a letter, digit or combining mark of any script (within the BMP or beyond it).
    private static bool IsLabelCharacter(System.Text.Rune r) =>
        r.Value == '-' || System.Text.Rune.IsLetterOrDigit(r)
        || System.Text.Rune.GetUnicodeCategory(r) is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark;

    /// <summary>
    /// The stored form of an address: spaces trimmed from either end, lower-cased. Only spaces: a control character at an
    /// end (a CR or LF a client left on) makes the address invalid rather than disappearing. (Not composed to Unicode NFC: the service runs with invariant
    /// globalization, which has no normalization, so "é" as one code point and as "e" plus a combining accent stay two
    /// addresses.)
    /// </summary>
    public static string Canonical(string email) => email.Trim(' ').ToLowerInvariant();

    private static string Truncate(string? value) => value is null ? string.Empty : Text.Shortened(value, 60);
}
