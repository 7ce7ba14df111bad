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

    private readonly List<TenantUser> _users = [];

    private Tenant()
    {
        Name = string.Empty;
        Path = [];
        OwnSettings = TenantSettings.Empty();
    }

    public TenantId Id { get; private set; }
    public string Name { get; private set; }
    public TenantId? ParentId { get; private set; }

    /// <summary>Ids from the root to this tenant, inclusive.</summary>
    public string[] Path { get; private set; }

    public int Depth => Path.Length - 1;
    public string? LogoUrl { get; private set; }
    public int Contacts { get; private set; }
    public Dictionary<string, Dictionary<string, string>> OwnSettings { get; private set; }

    /// <summary>How many apps the tenant may have; null means no limit.</summary>
    public int? MaxApps { get; private set; }

    public DateTimeOffset CreatedAt { get; private set; }
    public IReadOnlyList<TenantUser> Users => _users;

    public static Tenant CreateRoot(string name, DateTimeOffset now)
    {
        var id = TenantId.New();
        return new Tenant
        {
            Id = id,
            Name = DisplayName.Normalize(name, "name"),
            Path = [id.Value],
            Contacts = DefaultContacts,
            CreatedAt = now,
        };
    }

    /// <summary>Creates a child tenant. The logo defaults to the parent's; settings are inherited at read time.</summary>
    public Tenant CreateChild(
        string? name,
        string? logoUrl,
        int? contacts,
        IEnumerable<string>? emails,
        IReadOnlyDictionary<string, Dictionary<string, string?>?>? settings,
        DateTimeOffset now)
    {
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
            Path = [.. Path, id.Value],
            LogoUrl = logoUrl is null ? LogoUrl : NormalizeLogoUrl(logoUrl, "logo_url"),
            Contacts = contacts is null ? DefaultContacts : CheckContacts(contacts.Value),
            CreatedAt = now,
        };
        if (settings is not null)
        {
            child.OwnSettings = TenantSettings.Apply(child.OwnSettings, settings);
        }

        foreach (var email in emails ?? [])
        {
            child.AddUser(email, now);
        }

        return child;
    }

    public bool IsAncestorOf(Tenant other) => other.Id != Id && other.Path.Contains(Id.Value);

    public void Rename(string? name) => Name = DisplayName.Normalize(name, "name");

    public void ChangeLogo(string? logoUrl) => LogoUrl = logoUrl is null ? null : NormalizeLogoUrl(logoUrl, "logoUrl");

    public void ChangeContacts(int contacts) => Contacts = CheckContacts(contacts);

    public void ChangeMaxApps(int? maxApps)
    {
        if (maxApps is < 0)
        {
            throw new DomainRuleException("maxApps", "maxApps must be 0 or more, or null for no limit.");
        }

        MaxApps = maxApps;
    }

    public void ChangeSettings(IReadOnlyDictionary<string, Dictionary<string, string?>?> change) =>
        OwnSettings = TenantSettings.Apply(OwnSettings, change);

    /// <summary>Adds a user; an address already present (in any case) is left as it is. Returns false then.</summary>
    public bool AddUser(string? email, DateTimeOffset now, string field = "emails")
    {
        var normalized = TenantUser.NormalizeEmail(email, field);
        if (_users.Any(u => u.Email == normalized))
        {
            return false;
        }

        _users.Add(TenantUser.Create(Id, normalized, now));
        return true;
    }

    public bool RemoveUser(string email)
    {
        var normalized = email.Trim().ToLowerInvariant();
        return _users.RemoveAll(u => u.Email == normalized) > 0;
    }

    /// <summary>Fails with <see cref="AppLimitReachedException"/> when one more app would pass the limit.</summary>
    public void EnsureRoomForApp(int currentApps)
    {
        if (MaxApps is { } max && currentApps >= max)
        {
            throw new AppLimitReachedException(max);
        }
    }

    private static int CheckContacts(int contacts) =>
        contacts < 0 ? throw new DomainRuleException("contacts", "contacts must be 0 or more.") : contacts;

    private static string NormalizeLogoUrl(string value, string field)
    {
        var trimmed = value.Trim();
        if (trimmed.Length > 2048
            || !Uri.TryCreate(trimmed, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || string.IsNullOrEmpty(uri.Host))
        {
            throw new DomainRuleException(field, $"{field} must be an absolute http or https URL.");
        }

        return trimmed;
    }
}

/// <summary>The tenant has as many apps as its plan allows.</summary>
public sealed class AppLimitReachedException(int limit)
    : Exception($"This tenant has reached its limit of {limit} apps.")
{
    public int Limit { get; } = limit;
}
