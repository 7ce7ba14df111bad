using Provisioning.Domain.Common;

namespace Provisioning.UnitTests.Domain;

public sealed class SpellingTests
{
    private static readonly string[] Keywords = ["Host", "Port", "Database", "Username", "Password", "Pooling", "Timeout", "SSL Mode"];

    [Theory]
    [InlineData("Hots", "Host")]          // two neighbours swapped: one edit
    [InlineData("host", null)]            // the same word, another case: no slip
    [InlineData("Pasword", "Password")]
    [InlineData("sslmode", null)]         // the same once spaces are left out
    [InlineData("ssl_mod", "SSL Mode")]
    [InlineData("Databse", "Database")]
    [InlineData("Hx", null)]              // too short to be anything's slip
    [InlineData("TopSecretPart", null)]   // nothing near
    [InlineData("Pool", null)]            // three edits from Pooling, one from neither
    [InlineData("Usrname", "Username")]
    public void TheKnownWordAMisspeltOneIsNear_OrNone(string typed, string? meant) =>
        Assert.Equal(meant, Spelling.Nearest(typed, Keywords));

    [Fact]
    public void TwoKnownWordsAsNear_AreNeitherSaid() =>
        // "Pert" is one edit from Port and from Part: a guess would be a coin's.
        Assert.Null(Spelling.Nearest("Pert", ["Port", "Part"]));

    [Fact]
    public void SynonymsThatFoldAlike_AreOneWord() =>
        Assert.Equal("User Name", Spelling.Nearest("UserNme", ["User Name", "Username"]));
}
