using Provisioning.Domain.Common;
using Provisioning.Domain.ServiceAccounts;

namespace Provisioning.UnitTests.Domain;

public sealed class DisplayNameTests
{
    [Theory]
    [InlineData("\uFEFFShop", "Shop")]
    [InlineData("Shop\u200B", "Shop")]
    [InlineData("\u17B4Shop\u17B5", "Shop")] // (a probe: "sa\u17b4" was a second service account beside "sa")
    [InlineData(" \u200D Shop \u2060 ", "Shop")]
    [InlineData("\u2068Acme\u2069", "Acme")] // a whole string wrapped in an isolate (Fluent, Android's BidiFormatter)
    [InlineData("\u202BAcme\u202C", "Acme")] // or in an embedding
    [InlineData("Sh\u200Dop", "Sh\u200Dop")] // inside a name, a joiner may be part of what it shows: kept
    [InlineData("Shop \u2764\uFE0F", "Shop \u2764\uFE0F")] // a variation selector after an emoji: kept
    [InlineData("Team \U0001F3F4\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F", "Team \U0001F3F4\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F")] // a flag's tags: kept
    public void InvisibleCharactersAtEitherEnd_AreTrimmedLikeSpaces(string given, string stored) =>
        Assert.Equal(stored, DisplayName.Normalize(given));

    [Theory]
    [InlineData("\uFEFF")]
    [InlineData("\u200B \u200C")]
    [InlineData("\u3164")]
    [InlineData("\U000E0041")] // a tag character alone
    [InlineData("\U000E0020\U000E007F")]
    [InlineData("\uFE0F")] // a variation selector alone
    [InlineData("\u17B4\u17B5")] // Khmer inherent vowels: default-ignorable, no category says so
    [InlineData("\u180B\u180F")] // Mongolian free variation selectors alone
    public void AnInvisibleOnlyName_IsBlank(string given) =>
        Assert.Equal("displayName must not be blank.", Assert.Throws<DomainRuleException>(() => DisplayName.Normalize(given)).Message);

    [Theory]
    [InlineData("\u2800")] // the Braille pattern blank shows as a space
    [InlineData(" \u2800 ")]
    public void ABrailleBlankName_IsBlank(string given) =>
        Assert.Equal("displayName must not be blank.", Assert.Throws<DomainRuleException>(() => DisplayName.Normalize(given)).Message);

    [Theory]
    // A control character or line break at an end was trimmed away ("a\t" stored as "a"; a probe): refused as inside.
    [InlineData("a\t")]
    [InlineData("\r\na")]
    [InlineData("a\u0085")]
    [InlineData("a\u2028")]
    [InlineData("\u2029a")]
    [InlineData("a\u2028b")]
    [InlineData("a\u2066b\u2069c")] // a bidirectional isolate inside a name reorders what it shows
    // Noncharacters are no text.
    [InlineData("a\uFFFE")]
    [InlineData("a\uFDD0b")]
    [InlineData("a\U0001FFFF")]
    [InlineData("\U0010FFFEa")]
    public void AControlCharacterLineBreakOrNoncharacter_AnywhereInAName_IsRefused(string given) =>
        Assert.Equal("displayName must not contain control characters.", Assert.Throws<DomainRuleException>(() => DisplayName.Normalize(given)).Message);

    [Theory]
    [InlineData("a\U0001F600")] // an emoji (its low surrogate is \uDE00)
    [InlineData("a\U0001FFFD")]
    [InlineData("\u00A0a\u3000")] // no-break and ideographic spaces are trimmed like spaces
    [InlineData("\u0600\u0661\u0662")] // the Arabic number sign is a Format character that shows: kept at the start
    public void OtherCharacters_AreKept(string given) =>
        Assert.Equal(given.Trim('\u00A0', '\u3000'), DisplayName.Normalize(given));

    [Fact]
    public void ANameSentBackAsItIs_IsNoChange_EvenIfANewerRuleWouldRefuseIt()
    {
        // Stored before line separators were refused: a client that sends back what it read is not refused for it.
        Assert.False(DisplayName.Changes("a\u2028b", "a\u2028b", out var kept));
        Assert.Equal("a\u2028b", kept);
        Assert.False(DisplayName.Changes("Shop", " Shop ", out _)); // the same once trimmed
        Assert.True(DisplayName.Changes("Shop", "Shop 2", out var next));
        Assert.Equal("Shop 2", next);
        Assert.Throws<DomainRuleException>(() => DisplayName.Changes("a\u2028b", "a\u2028c", out _)); // a new name is checked
        Assert.Throws<DomainRuleException>(() => DisplayName.Changes("Shop", null, out _));
    }

    [Fact]
    public void ANewServiceAccount_IsCheckedAsEveryName() =>
        Assert.Throws<DomainRuleException>(() => ServiceAccount.Create(TenantId.New(), "", DateTimeOffset.UnixEpoch));

    [Fact]
    public void AServiceAccountNameWithABom_IsTheSameNameForUniqueness() =>
        Assert.Equal(
            ServiceAccount.Create(TenantId.New(), "Billing", DateTimeOffset.UnixEpoch).NormalizedName,
            ServiceAccount.Create(TenantId.New(), "\uFEFFbilling\u200B", DateTimeOffset.UnixEpoch).NormalizedName);
}
