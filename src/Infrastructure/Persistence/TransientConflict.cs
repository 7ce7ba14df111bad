using Npgsql;

namespace Provisioning.Infrastructure.Persistence;

/// <summary>
/// A transaction PostgreSQL rolled back because it conflicted with another one: a deadlock (40P01: two transactions
/// waiting for each other's rows, one is chosen to fail) or a serialization failure (40001). Nothing of it was written,
/// and running it again is what PostgreSQL's documentation prescribes; <see cref="UnitOfWork"/> does so.
/// </summary>
public static class TransientConflict
{
    public static bool Is(Exception? exception) => Find(exception) is not null;

    /// <summary>The conflict anywhere in <paramref name="exception"/>'s chain (EF wraps what a save sends), or null.</summary>
    public static PostgresException? Find(Exception? exception) =>
        PostgresError.In(exception) is { SqlState: PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure } conflict
            ? conflict
            : null;
}
