namespace Provisioning.IntegrationTests.Tenants;

/// <summary>Operations covered by the tenant permission matrix (filled as tenant routes are added).</summary>
public static class TenantPermissionMatrix
{
    public static readonly HashSet<string> Operations = [];
}
