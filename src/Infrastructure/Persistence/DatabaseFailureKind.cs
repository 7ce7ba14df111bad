namespace Provisioning.Infrastructure.Persistence;

/// <summary>
/// What a failure to reach or use the database is, as <see cref="DatabaseFailure.Of"/> tells them apart: one per remedy an
/// operator has. The start (its one sentence) and <c>/readyz</c> (its reason) each say every kind, in a switch that names
/// them all, so a new kind without its words does not compile.
/// </summary>
public enum DatabaseFailureKind
{
    /// <summary>A certificate, key or file Npgsql reads to connect cannot be used (not there, not readable, not PEM, a wrong SSL Password).</summary>
    ConnectionFileUnusable,

    /// <summary>The login refused (28P01, 28000): the user name, the password, a client certificate or pg_hba.conf.</summary>
    LoginRefused,

    /// <summary>The database named does not exist (3D000).</summary>
    DatabaseMissing,

    /// <summary>A right the role lacks on a table (42501): <see cref="DatabaseGrants"/> names them.</summary>
    MissingRight,

    /// <summary>Refused for want of a resource (class 53: disk, memory, connections, a limit the operator set).</summary>
    OutOfResource,

    /// <summary>A wait given up by Npgsql (connecting, a command, a connection from the pool): not reached, or held up.</summary>
    TimedOut,

    /// <summary>
    /// Cancelled by the server's own timer (<c>statement_timeout</c>, <c>lock_timeout</c>, the idle-in-transaction or
    /// transaction timeout): set on the role or database, or a lock held past it. It was reached: not "start it, or correct
    /// the Host and Port" (a probe with the role's <c>statement_timeout</c> at 3 ms read that).
    /// </summary>
    ServerTimedOut,

    /// <summary>The server stopped or restarted, or an administrator ended the session (57P01, 57P02).</summary>
    ServerStopped,

    /// <summary>Any other session the server ended once reached (FATAL or PANIC: a full disk's "could not write init file").</summary>
    SessionEnded,

    /// <summary>The database refused a secret written under a master key a finished rotation retired (PX503): its text says what to do.</summary>
    SecretUnderRetiredKey,

    /// <summary>This instance's own refusal to write under its retired master key.</summary>
    MasterKeyRetired,

    /// <summary>A stored secret under a master key this instance was not given.</summary>
    MasterKeyMissing,

    /// <summary>Rolled back as a conflict with another session (a deadlock, a serialization failure).</summary>
    Conflict,

    /// <summary>The server refused this client's certificate.</summary>
    ClientCertificateRefused,

    /// <summary>The server's certificate is not one the connection string's SSL Mode and Root Certificate accept.</summary>
    CertificateRejected,

    /// <summary>The TLS handshake found no protocol version or cipher both sides take.</summary>
    NoCommonTls,

    /// <summary>The server does not offer TLS, which the connection string requires.</summary>
    TlsNotOffered,

    /// <summary>
    /// A write refused as read-only (25006): a standby, or <c>default_transaction_read_only</c> on for the role or database —
    /// at the start, migrating such a database read "cannot be reached … start it" (a review).
    /// </summary>
    ReadOnly,

    /// <summary>Not reached, or not answering (down, starting, refusing connections): the others' outage.</summary>
    Unreachable,
}
