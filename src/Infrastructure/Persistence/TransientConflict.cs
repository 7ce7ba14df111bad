using Npgsql;

namespace Provisioning.Infrastructure.Persistence;

/// <summary>
/// A transaction PostgreSQL rolled back because it conflicted with another one: a deadlock (40P01: two transactions
/// waiting for each other's rows, one is chosen to fail) or a serialization failure (40001). Nothing of it was written,
/// and running it again is what PostgreSQL's documentation prescribes; <see cref="UnitOfWork"/> does so. And an audit
/// event's id drawn by another transaction too (23505 on <see cref="AuditEventsKey"/>: two transactions in one microsecond
/// with the same random part, migration <c>EventIdsCountNothing</c>), which a run again draws afresh.
/// </summary>
public static class TransientConflict
{
    public static bool Is(Exception? exception) => Find(exception) is not null;

    /// <summary>The conflict anywhere in <paramref name="exception"/>'s chain (EF wraps what a save sends), or null.</summary>
    public static PostgresException? Find(Exception? exception) =>
        PostgresError.In(exception) is { } e
        && (e.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure
            || e is { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: AuditEventsKey })
            ? e
            : null;

    /// <summary>The audit events' primary key (their ids).</summary>
    public const string AuditEventsKey = "pk_audit_events";
}
