namespace Provisioning.Application.Tenants.Commands.IssueOperatorAccountKey;

/// <param name="Suspended">The tenant or an ancestor is suspended: the key answers 403 <c>tenant_suspended</c> until it is resumed.</param>
public sealed record IssuedOperatorKey(string TenantId, string KeyId, string Secret, bool Suspended)
{
    /// <summary>Printed without the secret (a record lists every member; what carries a secret out must not print it).</summary>
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append($"TenantId = {TenantId}, KeyId = {KeyId}, Secret = (secret), Suspended = {Suspended}");
        return true;
    }
}
