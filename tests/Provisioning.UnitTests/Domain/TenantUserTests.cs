using Provisioning.Domain.Common;
using Provisioning.Domain.Tenants;

namespace Provisioning.UnitTests.Domain;

public sealed class TenantUserTests
{
    [Theory]
    [InlineData(64, true)]
    [InlineData(65, false)]
    public void TheLocalPart_IsAtMost64Octets(int length, bool valid)
    {
        var address = new string('a', length) + "@example.com";
        if (valid)
        {
            Assert.Equal(address, TenantUser.NormalizeEmail(address));
        }
        else
        {
            Assert.Throws<DomainRuleException>(() => TenantUser.NormalizeEmail(address));
        }

        // Octets, not characters: 32 two-byte letters are 64 octets, 33 are 66.
        Assert.Equal(new string('\u00e9', 32) + "@example.com", TenantUser.NormalizeEmail(new string('\u00e9', 32) + "@example.com"));
        Assert.Throws<DomainRuleException>(() => TenantUser.NormalizeEmail(new string('\u00e9', 33) + "@example.com"));
    }

    [Fact]
    public void TheDomain_FitsDnsInItsAsciiForm()
    {
        // 18 ideographs are "xn--" and 20 more octets; 40 different ones, 63 characters as written, are 102 octets: no such
        // label can exist in DNS, so no mail could reach the address (a probe).
        var fits = "a@" + new string('\u6f22', 18) + ".com";
        Assert.Equal(fits, TenantUser.NormalizeEmail(fits));
        var forty = string.Concat(Enumerable.Range(0, 40).Select(i => (char)(0x4E00 + (i * 37))));
        Assert.Throws<DomainRuleException>(() => TenantUser.NormalizeEmail("a@" + forty + ".com"));
        Assert.Throws<DomainRuleException>(() => TenantUser.NormalizeEmail("a@" + new string('\u6f22', 63) + ".com"));

        // The whole name: four labels of 50 ASCII letters and ".com" are 207 characters and fit; ten labels of 20 ideographs
        // ("xn--" and 22 octets each) and ".com" are 213 characters as written and 273 octets in DNS.
        Assert.Equal("a@" + string.Join(".", Enumerable.Repeat(new string('b', 50), 4)) + ".com",
            TenantUser.NormalizeEmail("a@" + string.Join(".", Enumerable.Repeat(new string('b', 50), 4)) + ".com"));
        Assert.Throws<DomainRuleException>(() => TenantUser.NormalizeEmail("a@" + string.Join(".", Enumerable.Repeat(new string('\u6f22', 20), 10)) + ".com"));
    }

    [Theory]
    [InlineData("ceo@\u05e9\u05dc\u05d5\u05dd1.co.il")] // a right-to-left label ending in a digit: IDNA2003 refused it, RFC 5893 allows it
    [InlineData("info@\u05d7\u05d3\u05e9\u05d5\u05ea24.co.il")]
    [InlineData("ceo@\u0645\u062b\u0627\u0644\u0663.com")]
    public void ARightToLeftDomainEndingInADigit_IsAValidAddress(string address) => Assert.Equal(address, TenantUser.NormalizeEmail(address));

    [Fact]
    public void ARefusedAddress_IsQuotedCut_NeverInHalfACharacter()
    {
        // 'a' and 40 letters of two UTF-16 units each: cut at 60 units, the 60th was the first half of the 30th letter.
        var address = "a" + string.Concat(Enumerable.Repeat("𠀀", 40)) + "@@x.com";
        var title = Assert.Throws<DomainRuleException>(() => TenantUser.NormalizeEmail(address)).Message;
        Assert.Contains("'a" + string.Concat(Enumerable.Repeat("𠀀", 29)) + "…'", title, StringComparison.Ordinal);
        Assert.True(title.EnumerateRunes().All(r => r != System.Text.Rune.ReplacementChar), title); // (a lone half reads as U+FFFD)
    }

    [Fact]
    public void TheWholeAddress_IsAtMost254Characters_CountedAsEveryOtherLength()
    {
        // Counted in UTF-16 units, an address of letters outside the BMP (mathematical bold, 2 units each) was refused
        // at 228 characters (Text.IsLongerThan: one rule for every length).
        var label = string.Concat(Enumerable.Repeat("\U0001D400", 31));
        string Address(int letters) => new string('a', 64) + "@" + string.Concat(Enumerable.Repeat(label + ".", 5)) + new string('b', letters) + ".com";
        Assert.Equal(254, Address(25).EnumerateRunes().Count());
        Assert.Equal(Address(25), TenantUser.NormalizeEmail(Address(25)));
        Assert.Throws<DomainRuleException>(() => TenantUser.NormalizeEmail(Address(26)));
    }

    [Theory]
    [InlineData("\ufeffceo@acme.com")]
    [InlineData("ceo\u200b@acme.com")]
    [InlineData("\u2060ceo@acme.com")]
    [InlineData("ceo@acme.com\u00ad")]
    [InlineData("ceo@ac\u200dme.com")]
    [InlineData("c\u3164eo@acme.com")]
    // Unicode's other default-ignorable characters that no category check finds: Khmer inherent vowels, Mongolian
    // free variation selectors (a probe added "a\u17b4@x.com" beside "a@x.com").
    [InlineData("ce\u17b4o@acme.com")]
    [InlineData("ceo\u17b5@acme.com")]
    [InlineData("ceo@acme\u180b.com")]
    [InlineData("c\u180feo@acme.com")]
    [InlineData("ceo@exa_mple.com")]
    [InlineData("ceo@exa!mple.com")]
    [InlineData("ceo@\ud83d\ude00.com")]
    // A control character is refused, not trimmed away (a CR or LF at either end was stored as the address without it).
    [InlineData("ceo@acme.com\n")]
    [InlineData("\rceo@acme.com")]
    [InlineData("\tceo@acme.com")]
    [InlineData("ceo@acme.com\u0085")]
    // A local part may not end with a dot (RFC 5322 dot-atom; one starting with a dot or holding two was refused already).
    [InlineData("ceo.@acme.com")]
    public void AnAddressWithAnInvisibleCharacter_OrADomainOutsideLettersDigitsAndHyphens_IsRefused(string address)
    {
        // Each of these would be a second user who looks like ceo@acme.com (or a domain no mail reaches).
        var ex = Assert.Throws<DomainRuleException>(() => TenantUser.NormalizeEmail(address));
        Assert.Equal("emails", ex.Field);
    }

    [Theory]
    [InlineData("ceo@acme.com")]
    [InlineData("First.Last+tag@sub-domain.example.co.uk")]
    [InlineData("ceo_1@acme.com")]
    [InlineData("j\u00f6rg@m\u00fcller.de")]
    [InlineData("\u7528\u6237@\u4f8b\u5b50.\u5e7f\u544a")]
    public void OrdinaryAndInternationalAddresses_AreKept(string address) =>
        Assert.Equal(address.ToLowerInvariant(), TenantUser.NormalizeEmail(address));

    [Fact]
    public void SpacesAtEitherEnd_AreTrimmed() => Assert.Equal("ceo@acme.com", TenantUser.NormalizeEmail("  CEO@acme.com "));
}
