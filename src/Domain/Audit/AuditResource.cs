using Provisioning.Domain.Common;

namespace Provisioning.Domain.Audit;

/// <summary>What a change touched: <c>{"type":"app","id":"…"}</c>.</summary>
public sealed record AuditResource(string Type, string Id)
{
    /// <summary>The resource type of a tenant (an event's <c>related</c> one for a change to its users).</summary>
    public const string TenantType = "tenant";

    public static AuditResource Tenant(TenantId id) => new(TenantType, id.Value);
    public static AuditResource App(AppId id) => new("app", id.Value);
    public static AuditResource ServiceAccount(ServiceAccountId id) => new("serviceAccount", id.Value);
}
