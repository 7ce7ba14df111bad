namespace Provisioning.Infrastructure.Persistence;

/// <summary>
/// Who holds a lock, as an operator finds the sessions in <c>pg_stat_activity</c>: "PostgreSQL process &lt;pid&gt;,
/// application_name '&lt;name&gt;'" for each (a process of this service names its sessions, <see cref="ServiceInstance"/>),
/// for a start or verb that says what it waits for.
/// </summary>
internal static class LockHolders
{
    /// <summary>
    /// How a session is named to an operator, as an SQL expression over its process id and <c>application_name</c> columns:
    /// "PostgreSQL process 4242, application_name 'psql'".
    /// </summary>
    public static string Named(string pid, string applicationName) =>
        $"format('PostgreSQL process %s, application_name %L', {pid}, coalesce({applicationName}, ''))";

    /// <summary>One text column, "Value": the sessions holding the granted locks of <c>pg_locks l</c> that <paramref name="where"/> picks.</summary>
    public static string Sql(string where) => $"""
        SELECT coalesce(string_agg({Named("h.pid", "a.application_name")}, '; ' ORDER BY h.pid),
                        'a session that has let it go since') AS "Value"
        FROM (SELECT DISTINCT l.pid FROM pg_locks l
              WHERE l.granted AND l.pid <> pg_backend_pid() AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                AND {where}) AS h
        LEFT JOIN pg_stat_activity a ON a.pid = h.pid
        """;

    /// <summary>
    /// One text column, "Value": the sessions whose locks the session <c>$1</c> waits for (<c>pg_blocking_pids</c>), or empty
    /// when it waits for none.
    /// </summary>
    public static readonly string BlockingSql =
        $"SELECT CASE WHEN cardinality(pg_blocking_pids($1)) = 0 THEN '' ELSE ({Sql("l.pid = ANY(pg_blocking_pids($1))")}) END AS \"Value\"";

    /// <summary>What a start says when the question who holds a lock itself fails: the wait goes on all the same.</summary>
    public const string Unnamed = "a session not named (the question who holds it failed)";
}
