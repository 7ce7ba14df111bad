namespace Provisioning.Infrastructure.Retention;

/// <summary>How long idempotency records and audit events are kept (API.md §10, §11).</summary>
public sealed class RetentionOptions
{
    /// <summary><c>Provisioning:Idempotency:RetentionHours</c>: at least 24 (Stripe keeps keys for 24 hours).</summary>
    public int IdempotencyRetentionHours { get; set; } = 24;

    /// <summary><c>Provisioning:Audit:RetentionDays</c>.</summary>
    public int AuditRetentionDays { get; set; } = 365;

    /// <summary><c>Provisioning:Retention:IntervalMinutes</c>: how often expired rows are pruned.</summary>
    public int IntervalMinutes { get; set; } = 15;
}
