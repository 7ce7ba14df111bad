using Provisioning.Domain.Common;

namespace Provisioning.Domain.Audit;

/// <summary>Who made a change: a key (<see cref="Kind"/> <c>account</c>, <c>serviceAccount</c>, <c>app</c>, <c>tenantToken</c>) or the operator.</summary>
public sealed record AuditActor(string? KeyId, string Kind, TenantId? TenantId)
{
    public const string AccountKind = "account";
    public const string ServiceAccountKind = "serviceAccount";
    public const string AppKind = "app";
    public const string TenantTokenKind = "tenantToken";
    public const string OperatorKind = "operator";

    /// <summary>The operator at the database host (<c>create-account-key</c>, <c>delete-tenant</c>, first start): no key.</summary>
    public static AuditActor Operator { get; } = new(null, OperatorKind, null);
}
