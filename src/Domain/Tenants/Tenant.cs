using Provisioning.Domain.Common;

namespace Provisioning.Domain.Tenants;

/// <summary>
/// A customer account. The root tenant is created at bootstrap; every other tenant is a child of
/// another. <see cref="Path"/> holds the ids from the root down to this tenant, so ancestry checks
/// and effective settings need one query, not one per ancestor.
/// </summary>
public sealed class Tenant
{
    public const int MaxDepth = 5;
    public const int DefaultContacts = 10_000;

    /// <summary>How many users a tenant may have: the list and the tenant's view, which hold them all, stay bounded.</summary>
    public const int MaxUsers = 1000;

    private readonly List<TenantUser> _users = [];

    /// <summary>
    /// Backs <see cref="Path"/>, which EF Core maps as the <c>text[]</c> column (queries on Path become array operators). A list,
    /// because that is what EF materialises for a collection exposed as <see cref="IReadOnlyList{T}"/>.
    /// </summary>
    private List<string> _path = [];

    private Tenant()
    {
        Name = string.Empty;
        OwnSettings = TenantSettings.Empty;
    }

    public TenantId Id { get; private set; }
    public string Name { get; private set; }
    public TenantId? ParentId { get; private set; }

    /// <summary>Ids from the root to this tenant, inclusive.</summary>
    public IReadOnlyList<string> Path => _path.AsReadOnly();

    public int Depth => _path.Count - 1;
    public string? LogoUrl { get; private set; }
    public int Contacts { get; private set; }

    /// <summary>The tenant's own settings (feature → key → value), replaced as a whole by <see cref="ChangeSettings"/>.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> OwnSettings { get; private set; }

    /// <summary>Budget: how many apps the tenant and all its descendants may have together; null means no limit of its own.</summary>
    public int? MaxApps { get; private set; }

    /// <summary>Budget: how many descendant tenants it may have (children, grandchildren, …); null means no limit of its own.</summary>
    public int? MaxTenants { get; private set; }

    public bool IsRoot => ParentId is null;

    /// <summary><see cref="TenantStatus.Active"/> or <see cref="TenantStatus.Suspended"/>.</summary>
    public string Status { get; private set; } = TenantStatus.Active;

    /// <summary>
    /// While suspended, the tenant whose suspension it is: the highest of those that sent it. Only that tenant or one above it
    /// may resume (<see cref="ChangeStatus"/>). Null while active (the database holds it to that), and for a suspension an
    /// older build made (any strict ancestor resumes those, as it did then).
    /// </summary>
    public TenantId? SuspendedBy { get; private set; }

    /// <summary>
    /// Suspends or resumes the tenant on behalf of <paramref name="by"/>, a strict ancestor (the caller checks that it is
    /// one). A suspension is held by the highest tenant that sent it: one sent from above a tenant holding it moves it up,
    /// one sent from below changes nothing (an older build's suspension, held by none, is taken by the first sent), and a
    /// resumption from below the holder is refused (<see cref="SuspensionHeldAboveException"/>).
    /// Resuming restores everything.
    /// </summary>
    /// <returns>Whether the suspension changed: the status, or the tenant holding it.</returns>
    public bool ChangeStatus(string? status, TenantId by)
    {
        var next = TenantStatus.Parse(status);
        var rank = AncestorRank(by) ?? throw new InvalidOperationException($"{by} is not an ancestor of tenant {Id}.");
        var holder = SuspendedBy is { } held ? AncestorRank(held) : null;
        if (next == TenantStatus.Suspended)
        {
            if (Status == TenantStatus.Suspended && holder <= rank)
            {
                return false;
            }

            Status = TenantStatus.Suspended;
            SuspendedBy = by;
            return true;
        }

        if (Status == TenantStatus.Active)
        {
            return false;
        }

        if (holder < rank)
        {
            throw new SuspensionHeldAboveException();
        }

        Status = TenantStatus.Active;
        SuspendedBy = null;
        return true;
    }

    /// <summary>Whether <paramref name="tenant"/> is an ancestor of this tenant and not this tenant itself.</summary>
    public bool HasStrictAncestor(TenantId tenant) => AncestorRank(tenant) is not null;

    /// <summary>How far below the root <paramref name="ancestor"/> is when it is a strict ancestor of this tenant (0: the root); otherwise null.</summary>
    private int? AncestorRank(TenantId ancestor)
    {
        var rank = _path.IndexOf(ancestor.Value);
        return rank >= 0 && rank < Depth ? rank : null;
    }

    public DateTimeOffset CreatedAt { get; private set; }

    /// <summary>When a credential of this tenant was last used (recorded in batches, like a key's <c>lastUsedAt</c>).</summary>
    public DateTimeOffset? LastCredentialUseAt { get; private set; }

    public IReadOnlyList<TenantUser> Users => _users;

    public static Tenant CreateRoot(string name, DateTimeOffset now)
    {
        var id = TenantId.New();
        return new Tenant
        {
            Id = id,
            Name = DisplayName.Normalize(name, "name"),
            _path = [id.Value],
            Contacts = DefaultContacts,
            CreatedAt = now,
        };
    }

    /// <summary>
    /// Creates a child tenant. The logo defaults to the parent's; settings are inherited at read time. Contacts are
    /// granted by <paramref name="grantor"/> (the caller's own tenant; the parent when null): at most what it has itself
    /// (the root excepted), and by default <see cref="DefaultContacts"/> or the grantor's, whichever is smaller.
    /// </summary>
    public Tenant CreateChild(
        string? name,
        string? logoUrl,
        int? contacts,
        IEnumerable<string>? emails,
        IReadOnlyDictionary<string, Dictionary<string, string?>?>? settings,
        DateTimeOffset now,
        Tenant? grantor = null)
    {
        grantor ??= this;
        if (Depth >= MaxDepth)
        {
            throw new DomainRuleException("parent", $"Tenants may be nested at most {MaxDepth} levels below the root.");
        }

        var id = TenantId.New();
        var child = new Tenant
        {
            Id = id,
            Name = DisplayName.Normalize(name, "name"),
            ParentId = Id,
            _path = [.. _path, id.Value],
            LogoUrl = logoUrl is null ? LogoUrl : NormalizeLogoUrl(logoUrl, "logo_url"),
            Contacts = contacts is null
                ? grantor.IsRoot ? DefaultContacts : Math.Min(DefaultContacts, grantor.Contacts)
                : CheckContacts(contacts.Value),
            CreatedAt = now,
        };
        EnsureWithinGrantor(child.Contacts, grantor.IsRoot ? null : grantor.Contacts, "contacts");
        if (settings is not null)
        {
            child.OwnSettings = TenantSettings.Apply(child.OwnSettings, settings);
        }

        var place = 0;
        foreach (var email in emails ?? [])
        {
            child.AddUser(email, now, $"emails[{place++}]"); // the one at fault named by its place, as a wrong type is
        }

        return child;
    }

    /// <returns>Whether the name is another than it was. Each change here says so: an event names only what changed.</returns>
    public bool Rename(string? name)
    {
        if (!DisplayName.Changes(Name, name, out var next, "name"))
        {
            return false;
        }

        Name = next;
        return true;
    }

    /// <returns>Whether the logo is another than it was.</returns>
    public bool ChangeLogo(string? logoUrl)
    {
        if (logoUrl == LogoUrl)
        {
            return false; // sent back as it is: not held to a rule newer than the logo
        }

        var before = LogoUrl;
        LogoUrl = logoUrl is null ? null : NormalizeLogoUrl(logoUrl, "logoUrl");
        return LogoUrl != before;
    }

    /// <summary>
    /// Sets this tenant's contact allowance, granted by <paramref name="grantor"/> (the caller's own tenant, an ancestor):
    /// nobody grants more than its own tenant has, except the root (the operator). Returns whether it changed.
    /// </summary>
    public bool ChangeContacts(int contacts, Tenant grantor)
    {
        if (contacts == Contacts)
        {
            return false; // what it has, sent back (an ancestor's read-modify-write after its own grant was lowered): grants nothing
        }

        EnsureWithinGrantor(CheckContacts(contacts), grantor.IsRoot ? null : grantor.Contacts, "contacts");
        Contacts = contacts;
        return true;
    }

    /// <summary>Sets the app budget over this tenant's subtree; see <see cref="ChangeContacts"/> for the grantor rule. Returns whether it changed.</summary>
    public bool ChangeMaxApps(int? maxApps, Tenant grantor)
    {
        if (maxApps == MaxApps)
        {
            return false; // what it has, sent back (an ancestor's read-modify-write after its own grant was lowered): grants nothing
        }

        EnsureWithinGrantor(CheckBudget(maxApps, "maxApps"), grantor.IsRoot ? null : grantor.MaxApps, "maxApps");
        MaxApps = maxApps;
        return true;
    }

    /// <summary>Sets the budget of descendant tenants; see <see cref="ChangeContacts"/> for the grantor rule. Returns whether it changed.</summary>
    public bool ChangeMaxTenants(int? maxTenants, Tenant grantor)
    {
        if (maxTenants == MaxTenants)
        {
            return false; // what it has, sent back (an ancestor's read-modify-write after its own grant was lowered): grants nothing
        }

        EnsureWithinGrantor(CheckBudget(maxTenants, "maxTenants"), grantor.IsRoot ? null : grantor.MaxTenants, "maxTenants");
        MaxTenants = maxTenants;
        return true;
    }

    /// <returns>Whether any of the tenant's own settings is another than it was.</returns>
    public bool ChangeSettings(IReadOnlyDictionary<string, Dictionary<string, string?>?> change)
    {
        var next = TenantSettings.Apply(OwnSettings, change);
        if (TenantSettings.AreEqual(OwnSettings, next))
        {
            return false; // the same object stays: nothing to write
        }

        OwnSettings = next;
        return true;
    }

    /// <summary>
    /// Adds a user; an address already present (in any case) is left as it is. Returns false then. Past
    /// <see cref="MaxUsers"/>, a 400 naming <paramref name="field"/> (the caller holds the tenant's row: adds do not race).
    /// </summary>
    public bool AddUser(string? email, DateTimeOffset now, string field = "emails")
    {
        var normalized = TenantUser.NormalizeEmail(email, field);
        if (_users.Any(u => u.Email == normalized))
        {
            return false;
        }

        if (_users.Count >= MaxUsers)
        {
            throw new DomainRuleException(field, $"{field}: a tenant may have at most {MaxUsers} users; remove one first.");
        }

        _users.Add(TenantUser.Create(Id, normalized, now));
        return true;
    }

    public bool RemoveUser(string email)
    {
        var canonical = TenantUser.Canonical(email);
        return _users.RemoveAll(u => u.Email == canonical) > 0;
    }

    private static int? CheckBudget(int? value, string field) =>
        value is < 0 ? throw new DomainRuleException(field, $"{field} must be 0 or more, or null for no limit.") : value;

    private static void EnsureWithinGrantor(int? granted, int? grantorHas, string field)
    {
        if (grantorHas is { } most && granted > most)
        {
            throw new DomainRuleException(field, $"{field} cannot be larger than your own tenant's ({most}).");
        }
    }

    private static int CheckContacts(int contacts) =>
        contacts < 0 ? throw new DomainRuleException("contacts", "contacts must be 0 or more.") : contacts;

    public const int MaxLogoUrlLength = 2048;

    private static string NormalizeLogoUrl(string value, string field)
    {
        var trimmed = Text.TrimInvisible(value); // as a name is: a CR, LF or tab at an end is refused, not made to disappear
        if (Text.IsLongerThan(trimmed, MaxLogoUrlLength))
        {
            throw new DomainRuleException(field, $"{field} must be at most {MaxLogoUrlLength} characters.");
        }

        // No control character (Uri would let some through, and PostgreSQL refuses NUL); a space is left to Uri, which
        // escapes it, as logos stored with one before must still be sendable back.
        if (!Text.IsValidName(trimmed)
            || !Uri.TryCreate(trimmed, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || string.IsNullOrEmpty(uri.Host))
        {
            throw new DomainRuleException(field, $"{field} must be an absolute http or https URL.");
        }

        // The logo is shown in the tenant's view and its children inherit it: a credential in it would travel with it.
        if (uri.UserInfo.Length > 0)
        {
            throw new DomainRuleException(field, $"{field} must not hold a user name or password.");
        }

        return trimmed;
    }
}
