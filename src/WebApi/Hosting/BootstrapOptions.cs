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
    /// The name is trimmed of white space, line ends included: a value from an env file with CRLF line ends ("Acme\r")
    /// is configuration, not a name a client typed; refused, it would stop an already bootstrapped service at its next start.
    /// </remarks>
    public BootstrapRootTenantCommand ToCommand() => new(TenantName?.Trim(), KeyId, Secret);
}

/// <summary>Configuration section <c>Provisioning:Database</c>.</summary>
public sealed class DatabaseOptions
{
    public const string Section = "Provisioning:Database";

    /// <summary>Apply pending migrations at start-up (default true).</summary>
    public bool MigrateOnStartup { get; set; } = true;
}
