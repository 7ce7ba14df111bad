using Microsoft.EntityFrameworkCore;

namespace Provisioning.Infrastructure.Persistence;

/// <summary>
/// The migrations' history (EF Core's <c>__EFMigrationsHistory</c>) against this build's migrations. Read without waiting
/// behind a migration: EF Core's <c>Migrate</c> takes the table <c>ACCESS EXCLUSIVE</c> for its whole run (its lock: one
/// migrating session at a time), waits on other tables' locks included, and a plain read of it waited with it — every
/// instance's <c>/readyz</c> answered 503 after 30 s while an upgrade's migration waited for a <c>delete-tenant</c>, and
/// a start or verb failed with "did not answer in time" instead of waiting for the migration (an upgrade probe).
/// </summary>
public static class MigrationHistory
{
    /// <summary>How long a read waits for the table before it concludes that a migration holds it.</summary>
    internal const string LockTimeout = "1s";

    /// <param name="Unknown">Applied, but not among this build's: a newer version migrated the database.</param>
    /// <param name="Pending">This build's, not applied yet.</param>
    public sealed record State(IReadOnlyList<string> Unknown, IReadOnlyList<string> Pending);

    /// <summary>The history, or null when another session holds the table (a migration running, or waiting for a lock).</summary>
    public static async Task<State?> ReadUnlessMigratingAsync(ProvisioningDbContext db, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.Database.ExecuteSqlRawAsync($"SET LOCAL lock_timeout = '{LockTimeout}'", cancellationToken);
        try
        {
            return Compare(db, await db.Database.GetAppliedMigrationsAsync(cancellationToken));
        }
        catch (Exception e) when (PostgresError.StateIn(e) == Npgsql.PostgresErrorCodes.LockNotAvailable)
        {
            return null;
        }
    }

    /// <summary>
    /// The history, once no other session holds the table, however long that takes (Ctrl-C cancels); <paramref name="waiting"/>
    /// is told once who holds it. Not a read that blocks: under the command timeout it failed the start after 30 s, and
    /// the session holding the table need not be a migrating process's (a killed <c>migrate</c>'s session, which no longer
    /// holds the migrations' advisory lock, or a hand's <c>LOCK TABLE</c>; a review).
    /// </summary>
    public static async Task<State> ReadWhenFreeAsync(ProvisioningDbContext db, Action<string> waiting, CancellationToken cancellationToken)
    {
        var said = false;
        while (true)
        {
            if (await ReadUnlessMigratingAsync(db, cancellationToken) is { } state)
            {
                return state;
            }

            if (!said)
            {
                waiting(await HoldersAsync(db, cancellationToken));
                said = true;
            }

            await Task.Delay(RetryEvery, cancellationToken);
        }
    }

    private static readonly TimeSpan RetryEvery = TimeSpan.FromMilliseconds(500);

    private static async Task<string> HoldersAsync(ProvisioningDbContext db, CancellationToken cancellationToken)
    {
        try
        {
            return await db.Database.SqlQueryRaw<string>(LockHolders.Sql(
                    "l.locktype = 'relation' AND l.relation = to_regclass('\"__EFMigrationsHistory\"')"))
                .SingleAsync(cancellationToken);
        }
        catch (Npgsql.PostgresException)
        {
            return LockHolders.Unnamed;
        }
    }

    private static State Compare(ProvisioningDbContext db, IEnumerable<string> applied)
    {
        var known = db.Database.GetMigrations().ToList();
        var appliedList = applied.ToList();
        return new State([.. appliedList.Except(known)], [.. known.Except(appliedList)]);
    }
}
