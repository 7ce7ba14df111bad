using System.Diagnostics;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Provisioning.Infrastructure.Persistence;

/// <summary>
/// Tells a database that cannot be reached (down, restarting, refusing connections or this service's login, its database
/// gone, timing out, out of a resource) from other
/// faults, wherever in an exception chain it shows: such requests answer 503 <c>service_unavailable</c>, on every
/// route, authentication included, and succeed again once the database is back (the pool reconnects by itself).
/// <para>One Npgsql defect is counted in: with auto-prepared statements (on by default here), a pooled connection that
/// broke under a statement being prepared sometimes fails the next command with a <see cref="NullReferenceException"/>
/// thrown inside Npgsql instead of an <see cref="NpgsqlException"/> (seen in <c>RevocationAcrossRestartTests</c>:
/// every connection cut, then a 500 in about one run of three). It is recognised by where it was thrown, not by text.</para>
/// <para>And another: Npgsql losing the protocol's sync (<see cref="LostProtocolSync"/>), which it answers by breaking the
/// connection, and the transaction with it.</para>
/// </summary>
public static class DatabaseUnavailable
{
    public static bool Is(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                // A cancellation (Ctrl-C, a client gone) carries PostgreSQL's 57014 inside: it is no outage.
                case OperationCanceledException:
                    return false;
                case PostgresException postgres:
                    return IsUnavailableState(postgres.SqlState) || EndedTheSession(postgres) || ChangedUnderAPreparedStatement(postgres);
                case NpgsqlException or SocketException or TimeoutException:
                    return true;
                // This instance's own refusal to write under a retired master key: the same answer as the database's (PX503).
                case Security.MasterKeyRetiredException:
                    return true;
                // A stored secret under a key this instance was not given: its configuration, not a defect (nor a retry's cure
                // on this instance; another instance with the key, or a restart with it, serves it).
                case Security.MasterKeyMissingException:
                    return true;
                case NullReferenceException when e.Source == typeof(NpgsqlConnection).Assembly.GetName().Name:
                    return true;
                case Exception when LostProtocolSync(e):
                    return true;
                // A file or certificate Npgsql reads to connect, which it did not wrap in an exception of its own.
                case Exception when UnusableConnectionFile(e):
                    return true;
                case AggregateException aggregate when aggregate.InnerExceptions.Any(Is):
                    return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Npgsql's own loss of the protocol's sync, where it throws a plain <see cref="Exception"/> after breaking the
    /// connection (<c>NpgsqlConnector.UnexpectedMessageReceived</c>: <c>Received unexpected backend message DataRow. Please
    /// file a bug.</c>; its other form, <c>Received backend message … while expecting …</c>, is an
    /// <see cref="NpgsqlException"/>, counted in already). Seen with PostgreSQL cancelling statements under load
    /// (<c>pg_cancel_backend</c> in a loop, a <c>statement_timeout</c> of milliseconds; a probe: 7 in about 40,000 requests,
    /// npgsql/npgsql#5803): answered 500 as a defect of the service's, it is a lost connection, whose transaction PostgreSQL
    /// rolls back (503: the client's retry runs it). Recognised by its type, where it was thrown and its words, so that no
    /// other plain exception of Npgsql's is taken for an outage.
    /// </summary>
    internal static bool LostProtocolSync(Exception e) =>
        e.GetType() == typeof(Exception) && e.Source == typeof(NpgsqlConnection).Assembly.GetName().Name
        && e.Message.StartsWith("Received unexpected backend message ", StringComparison.Ordinal);

    /// <summary>
    /// A background task's failed pass, at Warning: an outage in one line with its reason (it fails again every pass while
    /// the database is away, and a stack trace each time buried the log; an operator's probe), anything else with its trace.
    /// </summary>
    public static void LogFailedPass(ILogger logger, Exception exception, string message)
    {
        if (Is(exception))
        {
            logger.LogWarning("{Message} ({Reason})", message, Application.Common.Logging.FaultLog.Reason(exception));
        }
        else
        {
            logger.LogWarning(exception, "{Message}", message);
        }
    }

    /// <summary>
    /// PostgreSQL's refusal for want of a resource in <paramref name="exception"/>'s chain, if that is what it is (class 53:
    /// disk full, out of memory, too many connections, or a limit the operator set, such as <c>temp_file_limit</c>, which a
    /// large tenant's deletion can pass). An outage like the others for a client (503), but the operator's remedy is to free
    /// the resource or raise the limit, not to start the server: the start, the verbs and <c>/readyz</c> say so.
    /// </summary>
    internal static PostgresException? OutOfResource(Exception? exception) =>
        PostgresError.In(exception) is { } postgres && IsOutOfResource(postgres.SqlState) ? postgres : null;

    /// <summary>
    /// PostgreSQL's refusal for a right the role lacks (42501) in <paramref name="exception"/>'s chain, if that is what it is.
    /// A request answers it 503 (<see cref="Is"/>); the start and <c>/readyz</c> name the tables instead
    /// (<see cref="DatabaseGrants"/>: <see cref="DatabaseFailure"/> tells it apart before an outage).
    /// </summary>
    internal static PostgresException? MissingRight(Exception? exception) =>
        PostgresError.In(exception) is { SqlState: PostgresErrorCodes.InsufficientPrivilege } refused ? refused : null;

    /// <summary>
    /// The database's refusal of a secret under a retired master key (<see cref="SecretUnderRetiredMasterKey"/>) in
    /// <paramref name="exception"/>'s chain, if that is what it is: its message says what to do.
    /// </summary>
    internal static PostgresException? RetiredKeyRefusal(Exception? exception) =>
        PostgresError.In(exception) is { SqlState: SecretUnderRetiredMasterKey } refused ? refused : null;

    /// <summary>
    /// The TLS handshake with PostgreSQL failed, in <paramref name="exception"/>'s chain, if that is what it is: the server was
    /// reached and speaks TLS, and either its certificate is not one the connection string's <c>SSL Mode</c> accepts
    /// (<see cref="CertificateRejected"/>) or the two sides agreed on no protocol or cipher (a server's refusal of this
    /// client's certificate comes later: <see cref="ClientCertificateRefused"/>). An outage like the others for a client
    /// (503: no credential can be checked), but none to wait out: the start and <c>/readyz</c> say what to correct (they
    /// said "cannot be reached … start it, or correct the Host and Port"; a probe). A handshake the transport cut (a server
    /// stopping: an <see cref="IOException"/>) is not this.
    /// </summary>
    internal static AuthenticationException? TlsRefused(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is AuthenticationException { InnerException: not IOException } refused)
            {
                return refused;
            }
        }

        return null;
    }

    /// <summary>
    /// Whether a failed handshake (<see cref="TlsRefused"/>) is the server's certificate refused — signed by no CA of the
    /// <c>Root Certificate</c> file (or of the system's without one), not naming the <c>Host</c> (<c>VerifyFull</c>), or
    /// expired: the validation callback said no, and .NET's exception for that has no inner one; a protocol or cipher
    /// mismatch carries the TLS library's.
    /// </summary>
    internal static bool CertificateRejected(AuthenticationException refused) => refused.InnerException is null;

    /// <summary>
    /// The server's refusal of this client's certificate, in <paramref name="exception"/>'s chain: with TLS 1.3 the server
    /// checks it after the client has finished its handshake, so the server's alert (OpenSSL's "tlsv1 alert unknown ca": no
    /// CA of its <c>ssl_ca_file</c> signed the <c>SSL Certificate</c>; "certificate required": none was given) arrives on
    /// the first read, as OpenSSL's error under an <see cref="IOException"/> — which read "cannot be reached … start it"
    /// (a review); a TLS 1.2 server's comes in the handshake. Known by OpenSSL's words for the alert ("… alert unknown
    /// ca", "… alert bad certificate", "… alert certificate required"), as it has no type of its own outside .NET.
    /// </summary>
    internal static CryptographicException? ClientCertificateRefused(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            // (NpgsqlException > IOException > OpenSSL's SslException > its CryptographicException, as .NET 10 gives it after
            // a TLS 1.3 handshake; under an AuthenticationException when a TLS 1.2 server refuses it in the handshake.)
            if (e is CryptographicException { Message: var text } alert && text.Contains("SSL routines", StringComparison.Ordinal)
                && text.Contains(" alert ", StringComparison.Ordinal)
                && (text.Contains("unknown ca", StringComparison.Ordinal) || text.Contains("certificate", StringComparison.Ordinal)))
            {
                return alert;
            }
        }

        return null;
    }

    /// <summary>
    /// A server without TLS answering a connection string that requires it (<c>SSL Mode</c> <c>Require</c>,
    /// <c>VerifyCA</c> or <c>VerifyFull</c>), in <paramref name="exception"/>'s chain: Npgsql's own refusal, known by its
    /// text ("SSL connection requested. No SSL enabled connection from this host is configured."), as it has no type or
    /// code of its own.
    /// </summary>
    internal static NpgsqlException? TlsNotOffered(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is NpgsqlException { InnerException: null } refused and not PostgresException
                && refused.Message.StartsWith("SSL connection requested", StringComparison.Ordinal))
            {
                return refused;
            }
        }

        return null;
    }

    /// <summary>
    /// A file or certificate Npgsql reads to connect that it could not use, in <paramref name="exception"/>'s chain: the
    /// <c>Root Certificate</c>, <c>SSL Certificate</c>, <c>SSL Key</c> or <c>Passfile</c> the connection string names (or
    /// their <c>PGSSLROOTCERT</c>, <c>PGSSLCERT</c>, <c>PGSSLKEY</c>, <c>PGPASSFILE</c> defaults) not there or not readable,
    /// or not a certificate or key (a root certificate that is no PEM, a client key whose <c>SSL Password</c> is wrong).
    /// Known by being thrown by .NET for Npgsql (<see cref="UnusableConnectionFile"/>): Npgsql reads the client certificate
    /// and its key outside any exception of its own, so a missing one crashed the start, and a wrong key password read as
    /// this service's master key not decrypting a secret (a review). An outage like the others for a client (503); the
    /// start and <c>/readyz</c> say which.
    /// </summary>
    internal static Exception? ConnectionFileUnusable(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (UnusableConnectionFile(e))
            {
                return e;
            }
        }

        return null;
    }

    /// <summary>
    /// <paramref name="e"/> itself (not its chain) is a file, certificate or key Npgsql could not use: of those kinds, and
    /// thrown by .NET on Npgsql's behalf — the first frame of its stack outside .NET's own assemblies is Npgsql's. So a
    /// decryption of this service's that Npgsql happened to call (none does today) stays the service's, and an assembly
    /// Npgsql could not load (a broken deployment) stays a fault.
    /// </summary>
    private static bool UnusableConnectionFile(Exception e)
    {
        if (e is not (FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException or CryptographicException)
            || e is FileNotFoundException { Message: var message } && message.StartsWith("Could not load file or assembly", StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var frame in new StackTrace(e).GetFrames())
        {
            var assembly = frame.GetMethod()?.DeclaringType?.Assembly;
            if (assembly is null || assembly.GetName().Name is { } name && (name.StartsWith("System.", StringComparison.Ordinal) || name == "Microsoft.Win32.Primitives"))
            {
                continue;
            }

            return assembly == typeof(NpgsqlConnection).Assembly;
        }

        return false;
    }

    private static bool IsOutOfResource(string sqlState) => sqlState.StartsWith("53", StringComparison.Ordinal);

    /// <summary>
    /// Whether <paramref name="exception"/>'s chain is a wait given up: Npgsql's timeout (of a command, or of connecting), or
    /// the server's <c>lock_timeout</c>, <c>statement_timeout</c> or idle-in-transaction timeout. An outage like the others
    /// for a client (503); the start and the verbs name both likely causes, not only "cannot be reached".
    /// </summary>
    internal static bool TimedOut(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case OperationCanceledException:
                    return false;
                case PostgresException postgres:
                    return IsTimeout(postgres.SqlState);
                case TimeoutException:
                    return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The server's own timer (<see cref="IsTimeout"/>) in <paramref name="exception"/>'s chain, where <see cref="TimedOut"/>
    /// found the wait given up: PostgreSQL's error, or null when it was Npgsql's timeout (connecting, a command, the pool).
    /// Read from the same place <see cref="TimedOut"/> reads, not from any error of the chain: with several hosts, one host's
    /// timeout beside another's 57P03 was called the server's timer (a review).
    /// </summary>
    internal static PostgresException? ServerTimeout(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case OperationCanceledException or TimeoutException:
                    return null;
                case PostgresException postgres:
                    return IsTimeout(postgres.SqlState) ? postgres : null;
            }
        }

        return null;
    }

    /// <summary>PostgreSQL's refusal of a write as read-only (25006) in <paramref name="exception"/>'s chain.</summary>
    internal static PostgresException? ReadOnly(Exception? exception) =>
        PostgresError.In(exception) is { SqlState: PostgresErrorCodes.ReadOnlySqlTransaction } refused ? refused : null;

    // A slow or locked database, when the server's own timer fires first (lock_timeout, statement_timeout, the session's
    // idle-in-transaction timeout): the same stall as Npgsql's command timeout, which is a TimeoutException. They answered
    // 500 when an operator had set such a timeout (a probe).
    private static bool IsTimeout(string sqlState) =>
        sqlState is PostgresErrorCodes.LockNotAvailable or PostgresErrorCodes.QueryCanceled
            or "25P03"  // idle_in_transaction_session_timeout (no constant in Npgsql)
            or "25P04"; // transaction_timeout (PostgreSQL 17; a FATAL)

    /// <summary>
    /// PostgreSQL ended the session (FATAL) or the server (PANIC): nothing of the request was kept there (unless it was
    /// committing), and what failed was the server's, whatever the code. A disk filled up showed it: Npgsql drops a pooled
    /// session after a class-53 error, and a new backend that cannot write its relation-cache file ends with
    /// <c>FATAL XX000 could not write init file</c> — 500s among the 503s, and the "Unhandled" lines operators search for
    /// defects (a probe).
    /// </summary>
    private static bool EndedTheSession(PostgresException postgres) => postgres.InvariantSeverity is "FATAL" or "PANIC";

    /// <summary>
    /// A session PostgreSQL ended once it was reached (<see cref="EndedTheSession"/>), in <paramref name="exception"/>'s chain:
    /// not a connection refused or a server starting up (class 08, 57P03: "cannot be reached"), nor a timeout
    /// (<see cref="TimedOut"/>). The start and <c>/readyz</c> give its code and text (a disk full: <c>XX000 could not write
    /// init file</c>; a database that takes no connections), not "cannot be reached".
    /// </summary>
    internal static PostgresException? SessionEnded(Exception? exception) =>
        PostgresError.In(exception) is { } postgres && EndedTheSession(postgres)
        && !postgres.SqlState.StartsWith("08", StringComparison.Ordinal) && postgres.SqlState != PostgresErrorCodes.CannotConnectNow
        && !IsTimeout(postgres.SqlState)
            ? postgres
            : null;

    /// <summary>
    /// A statement prepared on a pooled connection whose result the schema changed under it — a migration run by another
    /// instance retyped a column it returns: PostgreSQL refuses it once on each connection that had it prepared (<c>0A000
    /// cached plan must not change result type</c>, raised by <c>RevalidateCachedQuery</c>, by routine and not by its
    /// translated text), and its retry runs prepared afresh. A rolling-upgrade probe saw it answered 500, as a defect.
    /// </summary>
    private static bool ChangedUnderAPreparedStatement(PostgresException postgres) =>
        postgres.SqlState == PostgresErrorCodes.FeatureNotSupported && postgres.Routine == "RevalidateCachedQuery";

    private static bool IsUnavailableState(string sqlState) =>
        sqlState.StartsWith("08", StringComparison.Ordinal)               // connection exceptions
        || sqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow
        || sqlState is PostgresErrorCodes.ReadOnlySqlTransaction
        // Out of a resource on the server: the server's to fix, not the request's (they answered 500 internal_error, as if
        // the service had a defect); see OutOfResource.
        || IsOutOfResource(sqlState)
        // A slow or locked database, when the server's own timer fires first; see TimedOut.
        || IsTimeout(sqlState)
        // The login refused (a password changed under a running service) or the database gone: the service cannot work
        // until an operator fixes it, as with a server that is down; /readyz says so too.
        || sqlState is PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification
            or PostgresErrorCodes.InvalidCatalogName
        // A right the role lacks on a table (a read-only user given by mistake): nothing a client can change, and fixed by a
        // GRANT without a restart (DatabaseGrants: /readyz and the start name the tables).
        || sqlState is PostgresErrorCodes.InsufficientPrivilege
        // A key secret or a stored answer written by an instance whose master key a finished rotation retired (migrations
        // SecretsUnderRetiredKeysRefused, StoredAnswersUnderRetiredKeysRefused): that instance must be restarted with the
        // new key; the others serve.
        || sqlState is SecretUnderRetiredMasterKey;

    /// <summary>What the database raises for a key secret or a stored answer written under a retired master key.</summary>
    public const string SecretUnderRetiredMasterKey = "PX503";
}
