namespace Provisioning.Application.Tenants.Commands.BootstrapRootTenant;

/// <summary><see cref="Created"/> is false when a root tenant already existed; then no secret is returned.</summary>
public sealed record BootstrapResult(bool Created, string TenantId, string? KeyId, string? Secret);
