namespace Provisioning.Application.Tenants.Commands.IssueOperatorAccountKey;

public sealed record IssuedOperatorKey(string TenantId, string KeyId, string Secret);
