namespace Provisioning.Application.Tenants.Commands.BootstrapRootTenant;

/// <summary>
/// <see cref="Created"/> is false when a root tenant already existed; then no secret is returned, and
/// <see cref="ConfiguredKeyMissing"/> says whether a configured bootstrap key id is not a key of this database (the
/// settings came after the first start, or another instance's settings made the root).
/// </summary>
public sealed record BootstrapResult(bool Created, string TenantId, string? KeyId, string? Secret, bool ConfiguredKeyMissing = false)
{
    /// <summary>Printed without the secret (a record lists every member; what carries a secret out must not print it).</summary>
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append($"Created = {Created}, TenantId = {TenantId}, KeyId = {KeyId}, Secret = (secret), ConfiguredKeyMissing = {ConfiguredKeyMissing}");
        return true;
    }
}
