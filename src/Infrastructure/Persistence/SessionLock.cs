using Npgsql;

namespace Provisioning.Infrastructure.Persistence;

/// <summary>
/// A PostgreSQL session advisory lock, held on a connection of its own that never goes back to a pool (the service's pool
/// does not reset sessions, so a lock left on a pooled connection would outlive its holder) and released by closing it —
/// also when the process dies. Waiting is done by trying again every half second, not in a blocking statement: a waiting
/// statement keeps a snapshot open, which an index built <c>CONCURRENTLY</c> by the holder would wait for in turn.
/// </summary>
internal sealed class SessionLock : IAsyncDisposable
{
    private static readonly TimeSpan RetryEvery = TimeSpan.FromMilliseconds(500);

    private readonly NpgsqlConnection _connection;

    private SessionLock(NpgsqlConnection connection, bool waited)
    {
        _connection = connection;
        Waited = waited;
    }

    /// <summary>Whether another holder had it first (and may have changed the database meanwhile).</summary>
    public bool Waited { get; }

    /// <summary>The lock if it is free now, else null.</summary>
    public static async Task<SessionLock?> TryTakeAsync(string connectionString, long key, CancellationToken cancellationToken)
    {
        var connection = await OpenAsync(connectionString, cancellationToken);
        if (await TryAsync(connection, key, cancellationToken))
        {
            return new SessionLock(connection, waited: false);
        }

        await connection.DisposeAsync();
        return null;
    }

    /// <summary>
    /// The lock, once it is free; <paramref name="waiting"/> is called once if it is not free at first, with who holds it
    /// (<see cref="HolderAsync"/>).
    /// </summary>
    public static async Task<SessionLock> TakeAsync(string connectionString, long key, Action<string> waiting, CancellationToken cancellationToken)
    {
        var connection = await OpenAsync(connectionString, cancellationToken);
        try
        {
            var waited = false;
            while (!await TryAsync(connection, key, cancellationToken))
            {
                if (!waited)
                {
                    waiting(await HolderAsync(connection, key, cancellationToken));
                    waited = true;
                }

                await Task.Delay(RetryEvery, cancellationToken);
            }

            return new SessionLock(connection, waited);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync(); // closing the session releases the lock

    private static async Task<NpgsqlConnection> OpenAsync(string connectionString, CancellationToken cancellationToken)
    {
        var connection = DataSources.CreateUnpooledConnection(connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            // A process that vanishes holding the lock (its host gone mid-migration or mid-rotation) must not keep it for
            // PostgreSQL's default two hours of keepalive: its session ends within ~25 s.
            await using (var keepalives = new NpgsqlCommand(DependencyInjection.ServerKeepalives, connection))
            {
                await keepalives.ExecuteNonQueryAsync(cancellationToken);
            }

            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// The sessions holding the lock (<see cref="LockHolders"/>). A bigint key is held as <c>classid</c> (its high half),
    /// <c>objid</c> (its low half), each an unsigned 32-bit oid, and <c>objsubid</c> 1. Only said: a failure of the question
    /// does not end the wait.
    /// </summary>
    internal static async Task<string> HolderAsync(NpgsqlConnection connection, long key, CancellationToken cancellationToken)
    {
        try
        {
            await using var command = new NpgsqlCommand(
                LockHolders.Sql("l.locktype = 'advisory' AND l.objsubid = 1 " +
                                "AND l.classid = (($1 >> 32) & 4294967295)::oid AND l.objid = ($1 & 4294967295)::oid"),
                connection) { Parameters = { new() { Value = key } } };
            return (string)(await command.ExecuteScalarAsync(cancellationToken))!;
        }
        catch (PostgresException)
        {
            return LockHolders.Unnamed;
        }
    }

    private static async Task<bool> TryAsync(NpgsqlConnection connection, long key, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock($1)", connection) { Parameters = { new() { Value = key } } };
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
