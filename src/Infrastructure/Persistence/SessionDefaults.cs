using Microsoft.Extensions.Logging;
using Npgsql;

namespace Provisioning.Infrastructure.Persistence;

/// <summary>
/// The settings an operator gave the service's role or database (<c>ALTER ROLE … SET</c>, <c>ALTER DATABASE … SET</c>,
/// <c>ALTER ROLE … IN DATABASE … SET</c>: <c>pg_db_role_setting</c>) as each of the pool's sessions found them when it
/// logged in. PostgreSQL applies them at login only, and the pool keeps its sessions: a <c>statement_timeout</c> or
/// <c>lock_timeout</c> set too short and reset went on cancelling statements on the sessions that logged in under it (140 s
/// in a probe, and for good under steady load, where no session idles long enough to be pruned), and one set to protect
/// the database never reached them. <see cref="StaleSessions"/> compares these with the catalog as it is now. What a pooler
/// (PgBouncer) hands out is one of its server sessions, which may have logged in before the catalog read here: those keep
/// theirs whatever this pool does (docs/operations.md).
/// </summary>
public sealed class SessionDefaults(ILogger<SessionDefaults> logger)
{
    /// <summary>
    /// The role's and database's settings for this session's login, each as "database/role name=value" (0 for "all"),
    /// ordered. Read from the catalog, which every session sees alike (<c>pg_settings</c> would show a session's own values,
    /// with the service's <c>SET</c>s over some of them). A setting changed between a login and this question is taken as
    /// the session's: a window of a round trip.
    /// </summary>
    internal const string Sql = """
        SELECT coalesce(array_agg(s.setdatabase::text || '/' || s.setrole::text || ' ' || c ORDER BY s.setdatabase, s.setrole, c), '{}')
        FROM pg_db_role_setting s CROSS JOIN LATERAL unnest(s.setconfig) c
        WHERE s.setdatabase IN (0, (SELECT oid FROM pg_database WHERE datname = current_database()))
          AND s.setrole IN (0, (SELECT oid FROM pg_roles WHERE rolname = session_user))
        """;

    private readonly Lock _gate = new();
    private readonly HashSet<string> _logins = [];
    private readonly List<string[]> _distinct = [];

    /// <summary>The catalog as the comparisons last saw it, how many times they have seen it change, and the names the last change changed.</summary>
    private string[]? _seen;
    private long _changes;
    private string[] _lastChanged = [];

    /// <summary>For each session whose own question failed: how many changes had been seen at its login.</summary>
    private readonly HashSet<long> _unread = [];

    private volatile bool _unreadable;
    private int _unreadableSaid;

    /// <summary>
    /// Reads and keeps what a new session of the pool logged in with. The session is served whatever comes of it. A
    /// question that fails otherwise (a role's <c>statement_timeout</c> of a millisecond cancelled it) is kept as "logged in
    /// after the changes seen so far": found stale once a comparison sees the catalog change again (unrecorded, it was never
    /// found stale: a probe; taken for the catalog last seen, it looked fresh when the change had not been seen yet: a
    /// review). A catalog this role may not read (a hardened database) is said once, at Warning: the comparison is off.
    /// </summary>
    internal void Record(NpgsqlConnection session)
    {
        if (_unreadable)
        {
            return;
        }

        try
        {
            using var ask = new NpgsqlCommand(Sql, session);
            LoggedIn((string[])ask.ExecuteScalar()!);
        }
        catch (PostgresException e)
        {
            Unread(e);
        }
    }

    /// <inheritdoc cref="Record"/>
    internal async Task RecordAsync(NpgsqlConnection session)
    {
        if (_unreadable)
        {
            return;
        }

        try
        {
            await using var ask = new NpgsqlCommand(Sql, session);
            LoggedIn((string[])(await ask.ExecuteScalarAsync())!);
        }
        catch (PostgresException e)
        {
            Unread(e);
        }
    }

    /// <summary>
    /// The role may not read the catalog: nothing is asked or compared again until the process restarts (each question
    /// was an error in PostgreSQL's log, 1,440 an hour per instance; a probe).
    /// </summary>
    public bool Unreadable => _unreadable;

    /// <summary>
    /// A question refused: an unreadable catalog (the statement's own error, not a login refused with the same code, which
    /// a <c>REVOKE CONNECT</c> gives) is said once, and then left alone.
    /// </summary>
    internal void Refused(PostgresException e)
    {
        if (e.SqlState == PostgresErrorCodes.InsufficientPrivilege && e.InvariantSeverity == "ERROR")
        {
            _unreadable = true;
        }

        if (_unreadable && Interlocked.Exchange(ref _unreadableSaid, 1) == 0)
        {
            logger.LogWarning(
                "The service's role may not read pg_db_role_setting ({SqlState}): a role or database setting changed while the " +
                "service runs (ALTER ROLE/DATABASE … SET) reaches its pooled sessions only as they are replaced. Restart the " +
                "instances after such a change; after a GRANT SELECT ON pg_catalog.pg_db_role_setting in the service's database, " +
                "restart them (docs/operations.md)", e.SqlState);
        }
    }

    private void Unread(PostgresException e)
    {
        Refused(e);
        if (!_unreadable)
        {
            LoggedInUnread();
        }
    }

    /// <summary>
    /// A session logged in whose settings could not be read: stale once a change is seen after its login, and, logged in
    /// before any comparison read the catalog, at the first (a change made and undone before it would go unseen; a review).
    /// </summary>
    public void LoggedInUnread()
    {
        lock (_gate)
        {
            _unread.Add(_seen is null ? -1 : _changes);
        }
    }

    /// <summary>The catalog as a comparison read it (<see cref="Sql"/>'s answer): a change from the last is counted.</summary>
    public void Seen(string[] settings)
    {
        lock (_gate)
        {
            if (_seen is { } before && Key(before) != Key(settings))
            {
                _changes++;
                _lastChanged = [.. Differing(before, settings).Order(StringComparer.Ordinal)];
            }

            _seen = settings;
        }
    }

    /// <summary>A session logged in with <paramref name="settings"/> (<see cref="Sql"/>'s answer).</summary>
    public void LoggedIn(string[] settings)
    {
        lock (_gate)
        {
            if (_logins.Add(Key(settings)))
            {
                _distinct.Add(settings);
            }
        }
    }

    /// <summary>
    /// The names of the settings in which a session logged in since the last <see cref="Forget"/> differs from
    /// <paramref name="now"/> (<see cref="Sql"/>'s answer now, after <see cref="Seen"/>), ordered; null when none does: a
    /// recorded login that differs, or one unread that logged in before the last change seen. Names only: a setting's
    /// value may be anything an operator keeps there.
    /// </summary>
    public IReadOnlyList<string>? ChangedSince(string[] now)
    {
        lock (_gate)
        {
            var current = Key(now);
            var unreadBefore = _unread.Any(changes => changes < _changes);
            if (!unreadBefore && _logins.All(login => login == current))
            {
                return null;
            }

            var changed = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var login in _distinct)
            {
                changed.UnionWith(Differing(login, now));
            }

            if (unreadBefore)
            {
                changed.UnionWith(_lastChanged.Length > 0 ? _lastChanged : ["unread at login"]);
            }

            return [.. changed];
        }
    }

    private static IEnumerable<string> Differing(string[] one, string[] other) => one.Except(other).Concat(other.Except(one)).Select(Name);

    /// <summary>The pool's sessions are being replaced: the logins recorded so far are gone with them.</summary>
    public void Forget()
    {
        lock (_gate)
        {
            _logins.Clear();
            _distinct.Clear();
            _unread.Clear();
        }
    }

    /// <summary>"0/16384 statement_timeout=1s" → "statement_timeout".</summary>
    private static string Name(string setting)
    {
        var name = setting[(setting.IndexOf(' ', StringComparison.Ordinal) + 1)..];
        return name.IndexOf('=', StringComparison.Ordinal) is var equals and >= 0 ? name[..equals] : name;
    }

    // PostgreSQL's text holds no NUL: a separator no setting contains.
    private static string Key(string[] settings) => string.Join('\0', settings);
}
