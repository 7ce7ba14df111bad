using Npgsql;

namespace Provisioning.IntegrationTests.Fixtures;

/// <summary>
/// A row locked (<c>SELECT … FOR UPDATE</c>), or rows written, by a transaction of the test's own, on a connection of its
/// own, so that a test can make requests wait for it in an order it chooses; <see cref="ReleaseAsync"/> (or disposing) ends it.
/// </summary>
public sealed class HeldRow : IAsyncDisposable
{
    private readonly NpgsqlConnection _connection;
    private readonly string _database;

    private HeldRow(NpgsqlConnection connection, string database)
    {
        _connection = connection;
        _database = database;
    }

    /// <summary>Locks the row of <paramref name="table"/> whose <c>id</c> is <paramref name="id"/> (names the test's, never input).</summary>
    public static async Task<HeldRow> LockAsync(string database, string table, string id)
    {
        var held = await BeginAsync(database);
        await held.ExecuteAsync($"SELECT 1 FROM {table} WHERE id = '{id}' FOR UPDATE");
        return held;
    }

    /// <summary>A transaction that holds nothing yet: what <see cref="ExecuteAsync"/> writes in it, it holds.</summary>
    public static async Task<HeldRow> BeginAsync(string database)
    {
        var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var begin = new NpgsqlCommand("BEGIN", connection);
        await begin.ExecuteNonQueryAsync();
        return new HeldRow(connection, database);
    }

    /// <summary>Runs <paramref name="sql"/> in the holding transaction (which may wait, or end it with its own COMMIT).</summary>
    public async Task ExecuteAsync(string sql)
    {
        await using var command = new NpgsqlCommand(sql, _connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Commits the holding transaction: whatever waited for the row goes on.</summary>
    public Task ReleaseAsync() => ExecuteAsync("COMMIT");

    /// <summary>What <c>pg_stat_activity</c> shows for a session waiting for an advisory lock (<c>wait_event</c>).</summary>
    public const string AdvisoryLock = "advisory";

    /// <summary>
    /// How many sessions of this database wait for a lock now (for an advisory lock only: <see cref="AdvisoryLock"/>). Not
    /// the service's own background writes, which a held row can hold up too and would stand for the request a test waits
    /// for: the key-usage flush (its tenants' update, told by its text; counted with <paramref name="keyUsage"/>, for a
    /// test of the flush) and a revocation heartbeat's <c>NOTIFY</c> (the lock of the database's notification queue).
    /// </summary>
    public Task<int> WaitingAsync(string? waitEvent = null, bool keyUsage = false) => Sql.CountAsync(_database,
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        + " AND ($1 = '' OR wait_event = $1) AND wait_event <> 'object' AND ($2 OR query NOT LIKE '%SET last_credential_use_at = m.used_at%')",
        waitEvent ?? string.Empty, keyUsage);

    /// <summary>
    /// Waits (up to 5 s, or <paramref name="within"/>: a process of its own to start first) until at least
    /// <paramref name="count"/> sessions wait for a lock (of <paramref name="waitEvent"/>'s kind, when given); fails the
    /// test if none come.
    /// </summary>
    public async Task UntilWaitingAsync(int count, TimeSpan? within = null, string? waitEvent = null, bool keyUsage = false)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(5));
        while (DateTime.UtcNow < deadline && await WaitingAsync(waitEvent, keyUsage) < count)
        {
            await Task.Delay(25);
        }

        Assert.True(await WaitingAsync(waitEvent, keyUsage) >= count, "the requests did not reach the lock waits this test arranges");
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
