using Provisioning.Application.Tenants.Commands.BootstrapRootTenant;

namespace Provisioning.WebApi.Hosting;

/// <summary>Configuration section <c>Provisioning:Bootstrap</c>: the root tenant made on first start.</summary>
public sealed class BootstrapOptions
{
    public const string Section = "Provisioning:Bootstrap";

    public string? TenantName { get; set; }
    public string? KeyId { get; set; }
    public string? Secret { get; set; }

    /// <summary>When set, the root credentials made on first start are also written here as JSON (mode 600).</summary>
    public string? RootKeyFile { get; set; }

    /// <remarks>
    /// Each value is trimmed of white space, line ends included: one from an env file with CRLF line ends ("Acme\r") is
    /// configuration, not what a client typed. Refused, a name or key id would stop an already bootstrapped service at its
    /// next start; kept, a secret's CR would make the operator's copy of the root key answer 401.
    /// </remarks>
    public BootstrapRootTenantCommand ToCommand() => new(TenantName?.Trim(), KeyId?.Trim(), Secret?.Trim());
}
