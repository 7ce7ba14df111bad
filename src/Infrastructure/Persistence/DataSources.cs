using System.Collections.Concurrent;
using Npgsql;

namespace Provisioning.Infrastructure.Persistence;

/// <summary>
/// Where every connection the service opens comes from, so that each is named by <see cref="NameOf"/>: Npgsql tags its
/// metrics (<c>db.client.connection.pool.name</c>) and traces (<c>db.npgsql.data_source</c>) with a data source's name,
/// by default its connection string less <c>Password</c> — the client key's <c>SSL Password</c> kept, and the instance's
/// <c>Application Name</c> (a probe found a client key's password in every OTLP export, from the connections outside the
/// pool: the revocation listener's, the session locks').
/// </summary>
internal static class DataSources
{
    /// <summary>
    /// Unpooled data sources by connection string, kept for the process (as Npgsql keeps one for each string given to
    /// <see cref="NpgsqlConnection(string)"/>): a service uses a few strings, each the same on every reconnection (a test
    /// process, one listener's per instance it hosts). Lazy, so that two callers at once build one (a second would report
    /// a second pool of the same name); a string whose data source cannot be built (a malformed string) fails the same way
    /// every time, so that failure being kept with it changes nothing.
    /// </summary>
    private static readonly ConcurrentDictionary<string, Lazy<NpgsqlDataSource>> Unpooled = new();

    /// <summary>
    /// A data source's name in Npgsql's telemetry: its connection string without its passwords (<c>Password</c>,
    /// <c>SSL Password</c>) and without <c>Application Name</c> (the instance's id, there), so that the instances of a
    /// deployment report one name for each kind of connection, the same across restarts (dashboards filter on it).
    /// </summary>
    public static string NameOf(string connectionString) =>
        new NpgsqlConnectionStringBuilder(connectionString) { Password = null, SslPassword = null, ApplicationName = null }.ConnectionString;

    /// <summary>
    /// A short question asked on a session of its own, outside the pool (whether a new session takes writes, who holds the
    /// locks requests wait for): 5 s to connect and 5 s to answer, so that a database that stalls keeps no question waiting.
    /// The first column of the first row.
    /// </summary>
    public static async Task<object?> AskAsync(string connectionString, string sql)
    {
        var asking = new NpgsqlConnectionStringBuilder(connectionString) { Timeout = 5, CommandTimeout = 5 }.ConnectionString;
        await using var session = CreateUnpooledConnection(asking);
        await session.OpenAsync();
        await using var ask = new NpgsqlCommand(sql, session);
        return await ask.ExecuteScalarAsync();
    }

    /// <summary>A connection of its own, outside any pool, on <paramref name="connectionString"/> (<c>Pooling=false</c> is added).</summary>
    public static NpgsqlConnection CreateUnpooledConnection(string connectionString)
    {
        var unpooled = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString;
        return Unpooled.GetOrAdd(unpooled, s => new Lazy<NpgsqlDataSource>(() => new NpgsqlDataSourceBuilder(s) { Name = NameOf(s) }.LeavingOutPolls().Build()))
            .Value.CreateConnection();
    }
}
