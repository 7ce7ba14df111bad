namespace Provisioning.Application.Tenants.Commands.IssueOperatorAccountKey;

/// <param name="Suspended">The tenant or an ancestor is suspended: the key answers 403 <c>tenant_suspended</c> until it is resumed.</param>
public sealed record IssuedOperatorKey(string TenantId, string KeyId, string Secret, bool Suspended);
