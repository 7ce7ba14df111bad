using System.Text.Json;
using Provisioning.Domain.Apps;
using Provisioning.Domain.Common;

namespace Provisioning.UnitTests.Domain;

public sealed class AppTests
{
    private static readonly TenantId Tenant = TenantId.New();
    private static readonly DateTimeOffset Now = DateTimeOffset.UnixEpoch;

    private static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement.Clone();

    [Fact]
    public void Create_TrimsDisplayName_AndFillsDefaultSettings()
    {
        var app = App.Create(Tenant, "  Shop  ", null, null, Now);
        Assert.Equal("Shop", app.DisplayName);
        Assert.Equal(AppSettings.Default, app.Settings);
        Assert.True(app.Settings.MaskCreditCardNumbers);
        Assert.True(app.Settings.AppLocalizationEnabled);
        Assert.False(app.Settings.MultiConvoEnabled);
        Assert.Null(app.Metadata);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\u200b")]
    [InlineData(" \u200b \ufeff\u2060 ")]
    [InlineData("\u200e\u00ad\u3164\u034f")] // a left-to-right mark, a soft hyphen, a Hangul filler, a combining grapheme joiner
    public void Create_RefusesBlankDisplayName(string? name)
    {
        var ex = Assert.Throws<DomainRuleException>(() => App.Create(Tenant, name, null, null, Now));
        Assert.Equal("displayName", ex.Field);
        Assert.Equal("displayName must not be blank.", ex.Message);
    }

    [Fact]
    public void DisplayName_AllowsExactly100Characters_CountedAsCodePoints()
    {
        Assert.Equal(100, App.Create(Tenant, new string('a', 100), null, null, Now).DisplayName.Length);
        Assert.Throws<DomainRuleException>(() => App.Create(Tenant, new string('a', 101), null, null, Now));
        // An emoji outside the BMP is two UTF-16 units but one character (PostgreSQL's varchar(100) counts it as one).
        var emoji = string.Concat(Enumerable.Repeat("\U0001F600", 100));
        Assert.Equal(emoji, App.Create(Tenant, emoji, null, null, Now).DisplayName);
        Assert.Throws<DomainRuleException>(() => App.Create(Tenant, emoji + "\U0001F600", null, null, Now));
        Assert.Equal("Zo\u00EB\u200dx", App.Create(Tenant, "Zo\u00EB\u200dx", null, null, Now).DisplayName); // a joiner inside a name is fine
    }

    [Theory]
    [InlineData("Invoice\u202Egpj.exe")] // right-to-left override: displays as "Invoiceexe.jpg"
    [InlineData("a\u2066b")]
    [InlineData("a\u0085b")] // NEL, a C1 control
    [InlineData("a\u009bb")]
    public void DisplayName_RefusesBidiOverridesAndC1Controls(string name)
    {
        var ex = Assert.Throws<DomainRuleException>(() => App.Create(Tenant, name, null, null, Now));
        Assert.Equal("displayName must not contain control characters.", ex.Message);
    }

    [Fact]
    public void MultiConvo_IsOneWay()
    {
        var app = App.Create(Tenant, "A", new AppSettingsChange(MultiConvoEnabled: true), null, Now);
        var ex = Assert.Throws<DomainRuleException>(() => app.ChangeSettings(new AppSettingsChange(MultiConvoEnabled: false)));
        Assert.Equal("settings.multiConvoEnabled", ex.Field);
        Assert.True(app.Settings.MultiConvoEnabled);
        app.ChangeSettings(new AppSettingsChange(MultiConvoEnabled: true));
        Assert.True(app.Settings.MultiConvoEnabled);
    }

    [Fact]
    public void Settings_MergeFieldByField()
    {
        var app = App.Create(Tenant, "A", new AppSettingsChange(UseAnimalNames: true), null, Now);
        app.ChangeSettings(new AppSettingsChange(EchoPostback: true, ConversationRetentionSeconds: 60));
        Assert.True(app.Settings.UseAnimalNames);
        Assert.True(app.Settings.EchoPostback);
        Assert.Equal(60, app.Settings.ConversationRetentionSeconds);
    }

    [Fact]
    public void EachChange_SaysWhetherTheValueIsAnotherThanItWas()
    {
        var app = App.Create(Tenant, "A", new AppSettingsChange(EchoPostback: true), Json("""{"a":1}"""), Now);
        Assert.False(app.Rename(" A "));
        Assert.True(app.Rename("a"));
        Assert.False(app.ChangeSettings(new AppSettingsChange(EchoPostback: true, UseAnimalNames: false)));
        Assert.False(app.ChangeSettings(new AppSettingsChange()));
        Assert.True(app.ChangeSettings(new AppSettingsChange(EchoPostback: false)));
        Assert.False(app.MergeMetadata(Json("""{"a":1,"b":null}""")));
        Assert.False(app.MergeMetadata(Json("""{"a":1.0}"""))); // the same number: a client that parsed 1 sends it back so
        Assert.False(app.MergeMetadata(Json("""{"a":1e0}""")));
        Assert.Equal("""{"a":1}""", app.Metadata); // kept as it was
        Assert.True(app.MergeMetadata(Json("""{"a":1.5}""")));
        Assert.True(app.MergeMetadata(Json("null")));
        Assert.False(app.MergeMetadata(Json("null")));
    }

    [Fact]
    public void AMetadataKeyStoredBeforeANewerRule_CanBeSentBackAndRemoved_ButNotAdded()
    {
        var app = App.Create(Tenant, "A", null, null, Now);
        Assert.Throws<DomainRuleException>(() => app.MergeMetadata(Json("""{"a\u2028b":1}""")));
        typeof(App).GetProperty(nameof(App.Metadata))!.SetValue(app, """{"a\u2028b":1}"""); // as stored before the rule
        Assert.False(app.MergeMetadata(Json("""{"a\u2028b":1}""")));
        Assert.True(app.MergeMetadata(Json("""{"a\u2028b":2}""")));
        Assert.True(app.MergeMetadata(Json("""{"a\u2028b":null}""")));
        Assert.Null(app.Metadata);
    }

    [Fact]
    public void MergingNothingIntoEmptyMetadata_ChangesNothing()
    {
        // A probe: an app made with "metadata":{} was PATCHed with {} (nothing to merge) and read back null, with an
        // app.updated event naming metadata.
        var app = App.Create(Tenant, "A", null, Json("{}"), Now);
        Assert.Equal("{}", app.Metadata);
        Assert.False(app.MergeMetadata(Json("{}")));
        Assert.False(app.MergeMetadata(Json("""{"gone":null}""")));
        Assert.Equal("{}", app.Metadata);
        // Emptied by removing its last key: cleared, as before.
        var withKey = App.Create(Tenant, "B", null, Json("""{"a":1}"""), Now);
        Assert.True(withKey.MergeMetadata(Json("""{"a":null}""")));
        Assert.Null(withKey.Metadata);
    }

    [Theory]
    [InlineData("1e400", false)] // Infinity to a JSON client
    [InlineData("-1e309", false)]
    [InlineData("1e-400", false)] // 0 to a JSON client, kept as 1e-400: another number than the one read
    [InlineData("-2.5E-401", false)]
    [InlineData("0.000000001e-330", false)]
    [InlineData("0", true)]
    [InlineData("-0", true)]
    [InlineData("0.000e-400", true)] // a zero, however written
    [InlineData("0E+5", true)]
    [InlineData("5e-324", true)] // the smallest double above 0
    [InlineData("1.7976931348623157e308", true)]
    [InlineData("12345678901234567890.123456789", true)] // read as the nearest double, as any long decimal is
    public void Metadata_NumbersAreThoseADoubleHolds(string number, bool taken)
    {
        var metadata = Json($$"""{"n":{{number}}}""");
        if (taken)
        {
            Assert.Equal($$"""{"n":{{number}}}""", App.Create(Tenant, "A", null, metadata, Now).Metadata);
        }
        else
        {
            Assert.Equal("metadata.n", Assert.Throws<DomainRuleException>(() => App.Create(Tenant, "A", null, metadata, Now)).Field);
        }
    }

    [Fact]
    public void Settings_RefuseNegativeRetention() =>
        Assert.Throws<DomainRuleException>(() => App.Create(Tenant, "A", new AppSettingsChange(ConversationRetentionSeconds: -1), null, Now));

    [Fact]
    public void Metadata_MergesKeyByKey_NullRemovesAKey_NullObjectClears()
    {
        var app = App.Create(Tenant, "A", null, Json("""{"a":1,"b":"two","c":true}"""), Now);
        app.MergeMetadata(Json("""{"a":null,"b":"deux","d":4.5}"""));
        Assert.Equal("""{"b":"deux","c":true,"d":4.5}""", app.Metadata);
        app.MergeMetadata(Json("null"));
        Assert.Null(app.Metadata);
    }

    [Theory]
    [InlineData("""{"a":{"b":1}}""")]
    [InlineData("""{"a":[1]}""")]
    [InlineData("""[1,2]""")]
    [InlineData("\"text\"")]
    [InlineData("42")]
    public void Metadata_MustBeAFlatObjectOfScalars(string json) =>
        Assert.Throws<DomainRuleException>(() => App.Create(Tenant, "A", null, Json(json), Now));

    [Fact]
    public void Metadata_IsLimitedTo4096SerializedBytes()
    {
        // {"k":"…"} is 8 bytes of framing.
        App.Create(Tenant, "A", null, Json($$"""{"k":"{{new string('x', 4096 - 8)}}"}"""), Now);
        Assert.Throws<DomainRuleException>(() => App.Create(Tenant, "A", null, Json($$"""{"k":"{{new string('x', 4096 - 7)}}"}"""), Now));
    }

    [Fact]
    public void Metadata_LimitCountsBytesNotCharacters()
    {
        // 'é' is two bytes in UTF-8 (and not the six of an escape): 2,044 of them and the framing are 4,096 bytes.
        var app = App.Create(Tenant, "A", null, Json($$"""{"k":"{{new string('é', 2044)}}"}"""), Now);
        Assert.Equal(4096, System.Text.Encoding.UTF8.GetByteCount(app.Metadata!));
        Assert.Throws<DomainRuleException>(() => App.Create(Tenant, "A", null, Json($$"""{"k":"{{new string('é', 2045)}}"}"""), Now));
        // Characters the default encoder escapes for HTML are what they are: 4,088 of '<' fit.
        Assert.Equal(4096, System.Text.Encoding.UTF8.GetByteCount(App.Create(Tenant, "A", null, Json($$"""{"k":"{{new string('<', 4088)}}"}"""), Now).Metadata!));
        // An emoji is four bytes (an encoder may write it as a twelve-byte pair of escapes): 1,022 of them fit, 1,023 do not.
        var emoji = string.Concat(Enumerable.Repeat("\U0001F680", 1022));
        Assert.Equal(emoji, System.Text.Json.JsonDocument.Parse(App.Create(Tenant, "A", null, Json($$"""{"k":"{{emoji}}"}"""), Now).Metadata!).RootElement.GetProperty("k").GetString());
        Assert.Throws<DomainRuleException>(() => App.Create(Tenant, "A", null, Json($$"""{"k":"{{emoji + "\U0001F680"}}"}"""), Now));
        // What JSON must escape counts as written: a line feed is two bytes.
        App.Create(Tenant, "A", null, Json($$"""{"k":"{{string.Concat(Enumerable.Repeat(@"\n", 2044))}}"}"""), Now);
        Assert.Throws<DomainRuleException>(() => App.Create(Tenant, "A", null, Json($$"""{"k":"{{string.Concat(Enumerable.Repeat(@"\n", 2045))}}"}"""), Now));
    }

    [Fact]
    public void Metadata_MergeThatGrowsPastTheLimit_IsRefusedAndLeavesItUnchanged()
    {
        var app = App.Create(Tenant, "A", null, Json($$"""{"a":"{{new string('x', 3000)}}"}"""), Now);
        var before = app.Metadata;
        Assert.Throws<DomainRuleException>(() => app.MergeMetadata(Json($$"""{"b":"{{new string('y', 2000)}}"}""")));
        Assert.Equal(before, app.Metadata);
    }
}
