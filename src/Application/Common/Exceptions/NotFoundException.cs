using Provisioning.Domain.Common;
using Provisioning.Domain.ServiceAccounts;
using Provisioning.Domain.Tenants;

namespace Provisioning.Application.Common.Exceptions;

/// <summary>
/// The resource does not exist or the caller may not see it: 404. Both look the same. Apps say <c>app_not_found</c>, as
/// Sunshine does. Thrown by a change, it makes the unit of work ask the database whether the caller's key still stands
/// (what went meanwhile may have taken it along): 401 or 403 then, as authentication would answer now.
/// <para>One factory per resource, so that each says its name (and apps their code) from here alone; <see cref="Of"/>
/// names the resource of a row the database found gone (a save's lost race).</para>
/// </summary>
public sealed class NotFoundException : ExpectedException
{
    private NotFoundException(string resource, string code = "not_found", string? why = null)
        : base(code, 404, why is null ? $"{resource} not found." : $"{resource} not found: {why}") => Resource = resource;

    public string Resource { get; }

    public static NotFoundException App() => new("App", "app_not_found");

    public static NotFoundException Tenant() => new(TenantResource);

    /// <summary>
    /// An operator verb's tenant, named as the operator gave it (a command line's, never a client's, text), and, if there is
    /// more to say, <paramref name="why"/>.
    /// </summary>
    public static NotFoundException Tenant(string reference, string? why = null) => new($"{TenantResource} '{Text.Echo(reference)}'", why: why);

    /// <summary>A tenant not found, whether named or not.</summary>
    public bool IsTenant => Resource.StartsWith(TenantResource, StringComparison.Ordinal);

    /// <summary>A tenant not found that the text does not name (found gone by a change, not by a look-up of what was typed).</summary>
    public bool IsUnnamedTenant => Resource == TenantResource;

    private const string TenantResource = "Tenant";

    public static NotFoundException ServiceAccount() => new("Service account");

    /// <summary>A service account's access to an app that it was never given (or that was taken back).</summary>
    public static NotFoundException Grant() => new("Grant");

    public static NotFoundException ProvisioningKey() => new("Provisioning key");

    /// <summary>An account key, an app key or a service account's key.</summary>
    public static NotFoundException Key() => new("Key");

    public static NotFoundException User() => new("User");

    /// <summary>The resource a row of <paramref name="entity"/> stands for (a grant is its app's; anything else a key's).</summary>
    public static NotFoundException Of(Type? entity) =>
        entity == typeof(Domain.Apps.App) || entity == typeof(AppGrant) ? App()
        : entity == typeof(Domain.Tenants.Tenant) ? Tenant()
        : entity == typeof(Domain.ServiceAccounts.ServiceAccount) ? ServiceAccount()
        : entity == typeof(Domain.Credentials.ProvisioningKey) ? ProvisioningKey()
        : entity == typeof(TenantUser) ? User()
        : Key();
}
