using Provisioning.Domain.Common;

namespace Provisioning.Domain.Audit;

/// <summary>What a change touched: <c>{"type":"app","id":"…"}</c>.</summary>
public sealed record AuditResource(string Type, string Id)
{
    public static AuditResource Tenant(TenantId id) => new("tenant", id.Value);
    public static AuditResource App(AppId id) => new("app", id.Value);
    public static AuditResource ServiceAccount(ServiceAccountId id) => new("serviceAccount", id.Value);
}
