using Provisioning.Domain.Common;

namespace Provisioning.Domain.ServiceAccounts;

/// <summary>An API consumer inside a tenant that reaches only the apps it has been granted.</summary>
public sealed class ServiceAccount
{
    private ServiceAccount()
    {
        DisplayName = string.Empty;
        NormalizedName = string.Empty;
    }

    public ServiceAccountId Id { get; private set; }
    public TenantId TenantId { get; private set; }
    public string DisplayName { get; private set; }

    /// <summary>
    /// Upper-cased display name, unique per tenant: names are unique case-insensitively, and (the store compares it under
    /// a collation that also folds case, width and compatibility forms and holds canonically equivalent text equal)
    /// whatever the Unicode form of an accented letter. An account
    /// a build before that let in under another's name in another form has its id appended here (migration
    /// <c>CanonicalServiceAccountNames</c>) until it is renamed or the account keeping the name goes (a trigger then gives
    /// it its plain key back: <c>SuffixedNamesGetTheirKeyBack</c>).
    /// </summary>
    public string NormalizedName { get; private set; }

    public DateTimeOffset CreatedAt { get; private set; }

    public static ServiceAccount Create(TenantId tenant, string? displayName, DateTimeOffset now)
    {
        var name = Common.DisplayName.Normalize(displayName);
        return new ServiceAccount { Id = ServiceAccountId.New(), TenantId = tenant, CreatedAt = now, DisplayName = name, NormalizedName = Normalize(name) };
    }

    /// <returns>Whether the name is another than it was (a change of case is one).</returns>
    public bool Rename(string? displayName)
    {
        if (!Common.DisplayName.Changes(DisplayName, displayName, out var next))
        {
            return false;
        }

        DisplayName = next;
        NormalizedName = Normalize(DisplayName);
        return true;
    }

    public static string Normalize(string displayName) => displayName.Trim().ToUpperInvariant();
}
