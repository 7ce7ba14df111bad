using Provisioning.Domain.Common;
using Provisioning.Domain.Tenants;

namespace Provisioning.UnitTests.Domain;

public sealed class TenantTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UnixEpoch;

    private static Dictionary<string, Dictionary<string, string?>?> Settings(params (string Feature, string Key, string? Value)[] values) =>
        values.GroupBy(v => v.Feature).ToDictionary(
            g => g.Key,
            g => (Dictionary<string, string?>?)g.ToDictionary(v => v.Key, v => v.Value));

    [Theory]
    // A look-alike of an inherited name overrode nothing (" f " and "\u200Bf" beside "f"; a probe).
    [InlineData(" email", "fromName", "settings")]
    [InlineData("email\u200B", "fromName", "settings")]
    [InlineData("e\u200Dmail", "fromName", "settings")]
    [InlineData("email", "fromName ", "settings.email")]
    [InlineData("email", "\uFEFFfromName", "settings.email")]
    [InlineData("email", "from\u00ADName", "settings.email")]
    public void ASettingNameWithWhiteSpaceAtAnEndOrAnInvisibleCharacter_IsRefused(string feature, string key, string field)
    {
        var root = Tenant.CreateRoot("Root", Now);
        var refused = Assert.Throws<DomainRuleException>(() => root.CreateChild("Child", null, null, null, Settings((feature, key, "v")), Now));
        Assert.Equal(field, refused.Field);
    }

    [Theory]
    [InlineData("https://logo.example.com/l.png\u00A0")] // a no-break space at an end is trimmed as in a name
    [InlineData("\u00A0https://logo.example.com/l.png")]
    [InlineData(" https://logo.example.com/l.png\u200B")]
    public void ALogoIsTrimmedAsANameIs(string logo) =>
        Assert.Equal("https://logo.example.com/l.png", Tenant.CreateRoot("R", Now).CreateChild("C", logo, null, null, null, Now).LogoUrl);

    [Fact]
    public void ASettingNameWithInnerSpaces_IsFine_AndAStoredLookAlikeCanStillBeRemoved()
    {
        var root = Tenant.CreateRoot("Root", Now);
        var child = root.CreateChild("Child", null, null, null, Settings(("email settings", "from name", "ACME")), Now);
        Assert.Equal("ACME", child.OwnSettings["email settings"]["from name"]);

        // Stored before the rule (read back from the database as it is): its removal is not refused.
        var stored = TenantSettings.ReadOnly([new(" email", new Dictionary<string, string> { ["k"] = "v", ["\u200Bk"] = "w" })]);
        var lessOne = TenantSettings.Apply(stored, new Dictionary<string, Dictionary<string, string?>?> { [" email"] = new() { ["\u200Bk"] = null, ["k"] = "changed" } });
        Assert.Equal("changed", lessOne[" email"]["k"]);
        Assert.False(lessOne[" email"].ContainsKey("\u200Bk"));
        Assert.Empty(TenantSettings.Apply(stored, new Dictionary<string, Dictionary<string, string?>?> { [" email"] = null }));

        // A name stored before the line-break rule, too; and removing what is not there is no change, whatever its name.
        var older = TenantSettings.ReadOnly([new("a\u2028b", new Dictionary<string, string> { ["k\uFFFE"] = "v", ["k"] = "w" })]);
        Assert.False(TenantSettings.Apply(older, new Dictionary<string, Dictionary<string, string?>?> { ["a\u2028b"] = new() { ["k\uFFFE"] = null } })["a\u2028b"].ContainsKey("k\uFFFE"));
        Assert.Empty(TenantSettings.Apply(older, new Dictionary<string, Dictionary<string, string?>?> { ["a\u2028b"] = null }));
        Assert.True(TenantSettings.AreEqual(older, TenantSettings.Apply(older, new Dictionary<string, Dictionary<string, string?>?> { [" gone"] = new() { ["\u200Bk"] = null } })));
    }

    [Fact]
    public void Lengths_CountCharacters_AsNamesAndPostgreSqlDo_NotUtf16Units()
    {
        // Setting names and values and the logo URL were measured in UTF-16 units, names in characters: 4,096 emoji (one
        // character each, two units) were refused as a value "over 4096 characters" (a probe).
        const string Emoji = "\U0001F600";
        static string Times(string s, int n) => string.Concat(Enumerable.Repeat(s, n));
        var root = Tenant.CreateRoot("Root", Now);

        var child = root.CreateChild("Child", null, 0, null, Settings(("chat", Times(Emoji, TenantSettings.MaxNameLength), Times(Emoji, TenantSettings.MaxValueLength))), Now);
        Assert.Equal(Times(Emoji, TenantSettings.MaxValueLength), child.OwnSettings["chat"][Times(Emoji, TenantSettings.MaxNameLength)]);
        Assert.Equal("settings.chat.k", Assert.Throws<DomainRuleException>(() =>
            child.ChangeSettings(Settings(("chat", "k", Times(Emoji, TenantSettings.MaxValueLength + 1))))).Field);
        Assert.Throws<DomainRuleException>(() => child.ChangeSettings(Settings(("chat", Times(Emoji, TenantSettings.MaxNameLength + 1), "v"))));

        var path = "https://cdn.example.com/";
        var longest = path + Times(Emoji, Tenant.MaxLogoUrlLength - path.Length);
        Assert.True(child.ChangeLogo(longest));
        Assert.Equal("logoUrl", Assert.Throws<DomainRuleException>(() => child.ChangeLogo(longest + "a")).Field);
    }

    [Fact]
    public void OwnSettingsHoldAtMost64KiBInAll_AndSettingsOverItCanStillShrink()
    {
        var root = Tenant.CreateRoot("Root", Now);
        var value = new string('a', TenantSettings.MaxValueLength);
        var child = root.CreateChild("Child", null, null, null, Settings([.. Enumerable.Range(0, 15).Select(i => ("f", $"k{i}", (string?)value))]), Now);
        var refused = Assert.Throws<DomainRuleException>(() => child.ChangeSettings(Settings(("f", "k15", value), ("g", "k", value))));
        Assert.Equal("settings", refused.Field);
        Assert.Contains("65536 bytes", refused.Message);
        Assert.Equal(15, child.OwnSettings["f"].Count);

        // Stored before the limit (over it): a change that does not grow them is taken, a removal too.
        var over = TenantSettings.ReadOnly([new("f", Enumerable.Range(0, 40).ToDictionary(i => $"k{i}", _ => value))]);
        Assert.Equal(39, TenantSettings.Apply(over, Settings(("f", "k0", null)))["f"].Count);
        Assert.Equal("b", TenantSettings.Apply(over, Settings(("f", "k1", "b")))["f"]["k1"]);
        Assert.Throws<DomainRuleException>(() => TenantSettings.Apply(over, Settings(("f", "new", "v"))));
    }

    [Fact]
    public void EachChange_SaysWhetherTheValueIsAnotherThanItWas()
    {
        var root = Tenant.CreateRoot("Root", Now);
        var child = root.CreateChild("Child", "https://cdn.example.com/l.png", 5, null, Settings(("chat", "color", "red"), ("chat", "size", "l")), Now);
        Assert.False(child.Rename(" Child "));
        Assert.True(child.Rename("child"));
        Assert.False(child.ChangeLogo("https://cdn.example.com/l.png"));
        Assert.True(child.ChangeLogo(null));
        Assert.False(child.ChangeContacts(5, root));
        Assert.True(child.ChangeContacts(6, root));
        Assert.False(child.ChangeMaxApps(null, root));
        Assert.True(child.ChangeMaxApps(0, root));
        Assert.False(child.ChangeMaxTenants(null, root));
        Assert.False(child.ChangeStatus(TenantStatus.Active, root.Id));
        Assert.True(child.ChangeStatus(TenantStatus.Suspended, root.Id));

        var settings = child.OwnSettings;
        Assert.False(child.ChangeSettings(Settings(("chat", "size", "l"), ("chat", "color", "red")))); // the same, in another order
        Assert.False(child.ChangeSettings(Settings(("chat", "gone", null))));
        Assert.False(child.ChangeSettings(Settings()));
        Assert.Same(settings, child.OwnSettings);
        Assert.True(child.ChangeSettings(Settings(("chat", "size", null))));
        Assert.Equal(["color"], child.OwnSettings["chat"].Keys);
    }

    [Fact]
    public void ASuspension_IsHeldByTheHighestSender_AndOnlyItOrATenantAboveItResumes()
    {
        var root = Tenant.CreateRoot("Root", Now);
        var vendor = root.CreateChild("Vendor", null, null, null, null, Now);
        var reseller = vendor.CreateChild("Reseller", null, null, null, null, Now);
        var customer = reseller.CreateChild("Customer", null, null, null, null, Now);

        Assert.True(customer.ChangeStatus(TenantStatus.Suspended, vendor.Id));
        Assert.Equal(vendor.Id, customer.SuspendedBy);
        Assert.False(customer.ChangeStatus(TenantStatus.Suspended, reseller.Id)); // from below: nothing changes
        Assert.False(customer.ChangeStatus(TenantStatus.Suspended, vendor.Id));
        Assert.Equal(vendor.Id, customer.SuspendedBy);
        Assert.Throws<SuspensionHeldAboveException>(() => customer.ChangeStatus(TenantStatus.Active, reseller.Id));
        Assert.Equal(TenantStatus.Suspended, customer.Status);

        Assert.True(customer.ChangeStatus(TenantStatus.Suspended, root.Id)); // from above: it moves up
        Assert.Equal(root.Id, customer.SuspendedBy);
        Assert.Throws<SuspensionHeldAboveException>(() => customer.ChangeStatus(TenantStatus.Active, vendor.Id));
        Assert.True(customer.ChangeStatus(TenantStatus.Active, root.Id));
        Assert.Equal((TenantStatus.Active, (TenantId?)null), (customer.Status, customer.SuspendedBy));

        Assert.True(customer.ChangeStatus(TenantStatus.Suspended, reseller.Id));
        Assert.True(customer.ChangeStatus(TenantStatus.Active, reseller.Id)); // its own to lift
        Assert.True(customer.ChangeStatus(TenantStatus.Suspended, reseller.Id));
        Assert.True(customer.ChangeStatus(TenantStatus.Active, root.Id)); // and any tenant above it

        // Only a strict ancestor sends a status (the handler checks); the tenant itself or a stranger is a defect.
        Assert.Throws<InvalidOperationException>(() => customer.ChangeStatus(TenantStatus.Suspended, customer.Id));
        Assert.Throws<InvalidOperationException>(() => customer.ChangeStatus(TenantStatus.Suspended, TenantId.New()));
    }

    [Fact]
    public void Child_InheritsLogo_DefaultsContacts_AndRecordsItsPath()
    {
        var root = Tenant.CreateRoot("Root", Now);
        root.ChangeLogo("https://cdn.example.com/root.png");
        var child = root.CreateChild("Child", null, null, null, null, Now);

        Assert.Equal("https://cdn.example.com/root.png", child.LogoUrl);
        Assert.Equal(10_000, child.Contacts);
        Assert.Equal(root.Id, child.ParentId);
        Assert.Equal([root.Id.Value, child.Id.Value], child.Path);
        Assert.Equal(1, child.Depth);
        Assert.True(root.IsRoot);
        Assert.False(child.IsRoot);
    }

    [Fact]
    public void Child_UsesGivenLogoAndContacts()
    {
        var root = Tenant.CreateRoot("Root", Now);
        var child = root.CreateChild("Child", "http://logo.example.com/a.png", 0, null, null, Now);
        Assert.Equal("http://logo.example.com/a.png", child.LogoUrl);
        Assert.Equal(0, child.Contacts);
    }

    [Theory]
    [InlineData("ftp://example.com/logo.png")]
    [InlineData("javascript:alert(1)")]
    [InlineData("/relative/logo.png")]
    [InlineData("not a url")]
    [InlineData("https://logo.example.com/a\tb.png")]
    [InlineData("https://logo.example.com/a\u0085b.png")]
    [InlineData("https://logo.example.com/a\u202Eb.png")]
    [InlineData("https://logo.example.com/\u0000")]
    [InlineData("https://logo.example.com/\u0001")]
    [InlineData("https://logo.example.com/\u007f")]
    [InlineData("https://logo.example.com/l.png\r\n")] // at an end too: it was trimmed away
    [InlineData("\thttps://logo.example.com/l.png")]
    public void Child_RefusesNonHttpLogo(string logo)
    {
        var ex = Assert.Throws<DomainRuleException>(() => Tenant.CreateRoot("R", Now).CreateChild("C", logo, null, null, null, Now));
        Assert.Equal("logo_url", ex.Field);
    }

    [Fact]
    public void Child_RefusesNegativeContacts() =>
        Assert.Equal("contacts", Assert.Throws<DomainRuleException>(() => Tenant.CreateRoot("R", Now).CreateChild("C", null, -1, null, null, Now)).Field);

    [Fact]
    public void Child_EmailsAreValidated_AndCollapseCaseInsensitively()
    {
        var child = Tenant.CreateRoot("R", Now).CreateChild("C", null, null, ["User_A@Example.com", "user_a@example.com", " b@example.org "], null, Now);
        Assert.Equal(["user_a@example.com", "b@example.org"], child.Users.Select(u => u.Email));
    }

    [Theory]
    [InlineData("no-at-sign")]
    [InlineData("a@")]
    [InlineData("@example.com")]
    [InlineData("a b@example.com")]
    [InlineData("a@localhost")]
    [InlineData("gro.elpmaxe\u202E@user")] // a right-to-left override
    [InlineData("us\u0085er@example.com")]
    public void Child_RefusesBadEmails(string email) =>
        Assert.Equal("emails[0]", Assert.Throws<DomainRuleException>(() => Tenant.CreateRoot("R", Now).CreateChild("C", null, null, [email], null, Now)).Field);

    [Fact]
    public void Depth_IsLimitedToFiveBelowTheRoot()
    {
        var tenant = Tenant.CreateRoot("R", Now);
        for (var i = 0; i < Tenant.MaxDepth; i++)
        {
            tenant = tenant.CreateChild($"L{i + 1}", null, null, null, null, Now);
        }

        Assert.Equal(5, tenant.Depth);
        Assert.Throws<DomainRuleException>(() => tenant.CreateChild("Too deep", null, null, null, null, Now));
    }

    [Fact]
    public void EffectiveSettings_LayChildOverParent_FeatureByFeature_KeyByKey()
    {
        var root = TenantSettings.Apply(TenantSettings.Empty, Settings(("email", "fromName", "ACME"), ("email", "replyTo", "r@acme.com"), ("sms", "sender", "ACME")));
        var child = TenantSettings.Apply(TenantSettings.Empty, Settings(("email", "fromName", "Child"), ("web", "theme", "dark")));

        var effective = TenantSettings.Effective([root, child]);

        Assert.Equal("Child", effective["email"]["fromName"]);
        Assert.Equal("r@acme.com", effective["email"]["replyTo"]);
        Assert.Equal("ACME", effective["sms"]["sender"]);
        Assert.Equal("dark", effective["web"]["theme"]);
    }

    [Fact]
    public void SettingsChange_NullValueRemovesOwnKey_NullFeatureRemovesFeature()
    {
        var own = TenantSettings.Apply(TenantSettings.Empty, Settings(("email", "a", "1"), ("email", "b", "2"), ("sms", "x", "y")));
        own = TenantSettings.Apply(own, Settings(("email", "a", null)));
        Assert.Equal(["b"], own["email"].Keys);
        own = TenantSettings.Apply(own, new Dictionary<string, Dictionary<string, string?>?> { ["sms"] = null });
        Assert.False(own.ContainsKey("sms"));
    }

    [Fact]
    public void PathAndSettings_CannotBeChangedFromOutside()
    {
        var root = Tenant.CreateRoot("R", Now);
        var child = root.CreateChild("C", null, null, null, Settings(("email", "fromName", "ACME")), Now);

        Assert.Throws<NotSupportedException>(() => ((IList<string>)child.Path)[0] = "someone else");
        Assert.Throws<NotSupportedException>(() => ((IDictionary<string, IReadOnlyDictionary<string, string>>)child.OwnSettings).Clear());
        Assert.Throws<NotSupportedException>(() => ((IDictionary<string, string>)child.OwnSettings["email"])["fromName"] = "Other");
        Assert.Equal([root.Id.Value, child.Id.Value], child.Path);
        Assert.Equal("ACME", child.OwnSettings["email"]["fromName"]);
    }

    [Fact]
    public void Budgets_AreNeverNegative_AndNobodyButTheRootGrantsMoreThanItsOwnTenantHas()
    {
        var root = Tenant.CreateRoot("R", Now);
        var child = root.CreateChild("C", null, null, null, null, Now);
        Assert.Equal("maxApps", Assert.Throws<DomainRuleException>(() => child.ChangeMaxApps(-1, root)).Field);
        Assert.Equal("maxTenants", Assert.Throws<DomainRuleException>(() => child.ChangeMaxTenants(-1, root)).Field);

        // The root (the operator) grants anything.
        child.ChangeMaxApps(1, root);
        child.ChangeMaxTenants(2, root);
        child.ChangeContacts(500, root);
        child.ChangeContacts(1_000_000, root);
        child.ChangeContacts(500, root);

        // The child, granting to its own child, cannot pass what it has; a null budget (bounded by the child's) is fine.
        var grandchild = child.CreateChild("G", null, null, null, null, Now);
        Assert.Equal(500, grandchild.Contacts);
        Assert.Contains("(1)", Assert.Throws<DomainRuleException>(() => grandchild.ChangeMaxApps(1000, child)).Message);
        Assert.Equal("maxTenants", Assert.Throws<DomainRuleException>(() => grandchild.ChangeMaxTenants(3, child)).Field);
        Assert.Equal("contacts", Assert.Throws<DomainRuleException>(() => grandchild.ChangeContacts(1_000_000_000, child)).Field);
        Assert.Equal("contacts", Assert.Throws<DomainRuleException>(() => child.CreateChild("G2", null, 501, null, null, Now)).Field);
        grandchild.ChangeMaxApps(1, child);
        grandchild.ChangeMaxApps(null, child);
        grandchild.ChangeContacts(500, child);
    }
}
