using Provisioning.Application.Tenants.Commands.BootstrapRootTenant;

namespace Provisioning.WebApi.Hosting;

/// <summary>The root key made by this start, if any, kept until the server listens and it has been shown.</summary>
public sealed class BootstrapOutcome
{
    public BootstrapResult? Created { get; set; }

    /// <summary>The database's root tenant, made by this start or found: the root key file is this root's or not ours to touch.</summary>
    public string? RootTenantId { get; set; }

    /// <summary>Whether the root key file holds the created key.</summary>
    public bool KeyFileWritten { get; set; }
}
