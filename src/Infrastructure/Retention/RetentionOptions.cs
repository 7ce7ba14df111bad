namespace Provisioning.Infrastructure.Retention;

/// <summary>How long idempotency records and audit events are kept (API.md §10, §11): three settings in three sections.</summary>
public sealed class RetentionOptions
{
    public const string IdempotencyRetentionHoursSetting = "Provisioning:Idempotency:RetentionHours";
    public const string AuditRetentionDaysSetting = "Provisioning:Audit:RetentionDays";
    public const string IntervalMinutesSetting = "Provisioning:Retention:IntervalMinutes";

    /// <summary>The shortest a stored answer is kept: a day (Stripe keeps keys for 24 hours).</summary>
    public const int MinIdempotencyRetentionHours = 24;

    /// <summary>The longest either retention may be, in days: a century.</summary>
    public const int MaxRetentionDays = 36_500;

    /// <summary><see cref="IdempotencyRetentionHoursSetting"/>: at least <see cref="MinIdempotencyRetentionHours"/>.</summary>
    public int IdempotencyRetentionHours { get; set; } = MinIdempotencyRetentionHours;

    /// <summary><see cref="AuditRetentionDaysSetting"/>.</summary>
    public int AuditRetentionDays { get; set; } = 365;

    /// <summary><see cref="IntervalMinutesSetting"/>: how often expired rows are pruned.</summary>
    public int IntervalMinutes { get; set; } = 15;
}
