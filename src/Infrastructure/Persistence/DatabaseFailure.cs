using Npgsql;

namespace Provisioning.Infrastructure.Persistence;

/// <summary>
/// What a failure that <see cref="DatabaseUnavailable.Is"/> counts as the database's, or a conflict PostgreSQL rolled back
/// (<see cref="TransientConflict"/>), is (a request answers 503 for each),
/// for those who must say what to do about it: the start and the operator verbs (<c>StartupChecks</c>) and
/// <c>/readyz</c>. One order for both — they told the same failures apart in two orders (a refused login was "cannot be
/// reached" in one and "ended the session" in the other; a newcomer's review).
/// </summary>
/// <param name="Kind">What it is.</param>
/// <param name="Cause">The exception of the chain that says it (PostgreSQL's error where there is one), whose text is quoted.</param>
public sealed record DatabaseFailure(DatabaseFailureKind Kind, Exception Cause)
{
    /// <summary>PostgreSQL's error, for the kinds the server raised.</summary>
    public PostgresException? Postgres => Cause as PostgresException;

    /// <summary>What <paramref name="exception"/> is, or null when it is not the database's (a defect, a cancellation).</summary>
    public static DatabaseFailure? Of(Exception exception)
    {
        if (!DatabaseUnavailable.Is(exception) && TransientConflict.Find(exception) is null)
        {
            return null;
        }

        // Each before those after it that would also take it: a file Npgsql could not read fails inside the handshake; a
        // missing right, a timeout and a shutdown are errors PostgreSQL raises as others are; the TLS refusals and the master
        // keys are counted in by DatabaseUnavailable.Is, which is the last resort.
        return DatabaseUnavailable.ConnectionFileUnusable(exception) is { } file ? new(DatabaseFailureKind.ConnectionFileUnusable, file)
            : PostgresError.In(exception) is { SqlState: PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification } login
                ? new(DatabaseFailureKind.LoginRefused, login)
            : PostgresError.In(exception) is { SqlState: PostgresErrorCodes.InvalidCatalogName } missing ? new(DatabaseFailureKind.DatabaseMissing, missing)
            : DatabaseUnavailable.MissingRight(exception) is { } right ? new(DatabaseFailureKind.MissingRight, right)
            : DatabaseUnavailable.OutOfResource(exception) is { } resource ? new(DatabaseFailureKind.OutOfResource, resource)
            : DatabaseUnavailable.TimedOut(exception)
                ? DatabaseUnavailable.ServerTimeout(exception) is { } timer ? new(DatabaseFailureKind.ServerTimedOut, timer) : new(DatabaseFailureKind.TimedOut, exception.GetBaseException())
            : PostgresError.In(exception) is { SqlState: PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown } stopped
                ? new(DatabaseFailureKind.ServerStopped, stopped)
            : DatabaseUnavailable.SessionEnded(exception) is { } ended ? new(DatabaseFailureKind.SessionEnded, ended)
            : DatabaseUnavailable.RetiredKeyRefusal(exception) is { } retired ? new(DatabaseFailureKind.SecretUnderRetiredKey, retired)
            : Find<Security.MasterKeyRetiredException>(exception) is { } ownRetired ? new(DatabaseFailureKind.MasterKeyRetired, ownRetired)
            : Find<Security.MasterKeyMissingException>(exception) is { } keyMissing ? new(DatabaseFailureKind.MasterKeyMissing, keyMissing)
            : TransientConflict.Find(exception) is { } conflict ? new(DatabaseFailureKind.Conflict, conflict)
            : DatabaseUnavailable.ClientCertificateRefused(exception) is { } client ? new(DatabaseFailureKind.ClientCertificateRefused, client)
            : DatabaseUnavailable.TlsRefused(exception) is { } tls
                ? new(DatabaseUnavailable.CertificateRejected(tls) ? DatabaseFailureKind.CertificateRejected : DatabaseFailureKind.NoCommonTls, tls)
            : DatabaseUnavailable.TlsNotOffered(exception) is { } plain ? new(DatabaseFailureKind.TlsNotOffered, plain)
            : DatabaseUnavailable.ReadOnly(exception) is { } readOnly ? new(DatabaseFailureKind.ReadOnly, readOnly)
            : new(DatabaseFailureKind.Unreachable, exception.GetBaseException());
    }

    private static T? Find<T>(Exception? exception) where T : Exception
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is T found)
            {
                return found;
            }
        }

        return null;
    }
}
