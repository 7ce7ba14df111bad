using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Provisioning.Application.Common.Logging;
using Provisioning.Infrastructure.Persistence;
using Provisioning.Infrastructure.Security;

namespace Provisioning.WebApi.Hosting.Readiness;

/// <summary>
/// Ready when the database answers and takes writes, has no pending migrations (or another process is applying some),
/// lets the service's role read and write the service's tables (<see cref="DatabaseGrants"/>), and its secrets decrypt
/// with the configured master key, which is not one a finished rotation retired (an instance left on the old configuration
/// would write new secrets under it). A result is reused by the probes that come within the reuse window, and the probes that come while
/// a check runs wait for it (<see cref="ReadinessReuse"/>); the check has a scope of its own, since it may outlive the
/// probe that started it.
/// </summary>
public sealed class DatabaseReadyHealthCheck(IServiceScopeFactory scopes, ReadinessReuse reuse, ReadinessLog log) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var result = await reuse.GetAsync(CheckAsync, cancellationToken);
        log.Note(result);
        return result;
    }

    private async Task<HealthCheckResult> CheckAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ProvisioningDbContext>();
        var masterKey = scope.ServiceProvider.GetRequiredService<MasterKeyCheck>();
        try
        {
            // No CanConnectAsync first: it swallowed why ("The database is not reachable." and nothing else); the first
            // statement's failure below says it (a refused connection, a login refused, a database gone).
            if (await DatabaseReadOnly.WhyAsync(db, scope.ServiceProvider.GetRequiredService<StaleSessions>(), cancellationToken) is { } readOnly)
            {
                return HealthCheckResult.Unhealthy(readOnly);
            }

            // Not a readiness matter (a database host with a wrong clock would take every instance out): a Warning.
            await scope.ServiceProvider.GetRequiredService<DatabaseClock>().CheckAsync(cancellationToken);
            // A history another process holds is a migration running (or waiting for a lock): this instance's own migrations
            // were applied before it began to serve, so it stays ready (a plain read waited with the migration, and every
            // instance's /readyz answered 503 after 30 s while the requests were served: an upgrade probe).
            if (await MigrationHistory.ReadUnlessMigratingAsync(db, cancellationToken) is { Pending.Count: > 0 } history)
            {
                // None at all, after this instance migrated at its start: its tables are not where the session looks (a role's
                // search_path set while it ran read "pending migrations", and sent the operator to migrate; a probe).
                return HealthCheckResult.Unhealthy(history.Pending.Count < db.Database.GetMigrations().Count() || history.Unknown.Count > 0
                    ? "The database has pending migrations."
                    : "None of the service's migrations is found in the database under search_path '" +
                      await db.Database.SqlQueryRaw<string>("SELECT current_setting('search_path') AS \"Value\"").SingleAsync(cancellationToken) +
                      "': its tables are not where the sessions look — a search_path set on the role or database (pg_db_role_setting), " +
                      "or another database — not migrations to apply.");
            }

            if (await DatabaseGrants.MissingAsync(db, cancellationToken) is { } missing)
            {
                return HealthCheckResult.Unhealthy(missing);
            }

            return MasterKeyCheck.Refusal(await masterKey.VerifyAsync(cancellationToken)) is { } refusal
                ? HealthCheckResult.Unhealthy(refusal)
                : HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (DatabaseFailure.Of(ex) is { } failure)
        {
            // A timer or a read-only default the pool's sessions may have logged in under: compared, as for a request's.
            scope.ServiceProvider.GetRequiredService<StaleSessions>().Noticed(ex);
            return Unready(failure, ex, db);
        }
        catch (Exception ex) when (PostgresError.In(ex) is { } refused)
        {
            // The server answered and refused the check (a role without rights on a table, a table missing): its reason,
            // not "unreachable". (No secret in the server's text for these statements; no stack trace on every probe.)
            return HealthCheckResult.Unhealthy($"The readiness check failed on the database: {refused.SqlState} {refused.MessageText}");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A fault of the check itself: with the exception, which ReadinessLog logs with its Error line.
            return HealthCheckResult.Unhealthy("The readiness check failed.", ex);
        }
    }

    /// <summary>
    /// A database failure's reason, one per kind (the start says each in its own sentence: <c>StartupChecks</c>). Those
    /// marked <see cref="ReadinessLog.Outage"/> pass by themselves; the others are something to correct, said as such.
    /// </summary>
#pragma warning disable CS8524 // Every named kind has its arm: a kind added without one is CS8509, an error.
    private static HealthCheckResult Unready(DatabaseFailure failure, Exception ex, ProvisioningDbContext db) => failure.Kind switch
    {
        // (First, as at the start: a Root Certificate file Npgsql could not read fails inside the handshake.)
        DatabaseFailureKind.ConnectionFileUnusable => HealthCheckResult.Unhealthy(
            $"A certificate, key or file Npgsql reads to connect cannot be used ({failure.Cause.GetType().Name}: {failure.Cause.Message.TrimEnd('.')}; " +
            "docs/operations.md \"TLS to PostgreSQL\")."),
        // A password changed under the running service, or pg_hba.conf: it read "ended the readiness check's session" (a review).
        DatabaseFailureKind.LoginRefused => HealthCheckResult.Unhealthy(
            $"The database refused the connection string's login: {failure.Postgres!.SqlState} {failure.Postgres.MessageText} (its Username or " +
            "Password, a client certificate, or the server's pg_hba.conf)."),
        DatabaseFailureKind.DatabaseMissing => HealthCheckResult.Unhealthy(
            $"The database the connection string names does not exist: {failure.Postgres!.SqlState} {failure.Postgres.MessageText}"),
        // No outage: the migrations' history table, read before the rights are checked, is refused the same way (a review).
        DatabaseFailureKind.MissingRight => HealthCheckResult.Unhealthy(DatabaseGrants.Sentence($"({failure.Postgres!.MessageText})")),
        DatabaseFailureKind.OutOfResource => HealthCheckResult.Unhealthy(
            $"The database refused the readiness check for want of a resource: {failure.Postgres!.SqlState} {failure.Postgres.MessageText}"),
        DatabaseFailureKind.TimedOut => HealthCheckResult.Unhealthy(
            $"The database did not answer the readiness check in time{NoHostAsAsked(db, ex)} ({FaultLog.Reason(ex)}): not " +
            "reachable, or held up by a lock or a busy server (pg_stat_activity shows which).", data: ReadinessLog.Outage),
        DatabaseFailureKind.ServerTimedOut => HealthCheckResult.Unhealthy(
            $"The database cancelled the readiness check on its own timer: {failure.Postgres!.SqlState} {failure.Postgres.MessageText} (a " +
            "statement_timeout or lock_timeout set on the role or database, or a lock held past it; a setting changed since the " +
            "pool's sessions logged in is theirs until they are replaced: within seconds, with a Warning naming it — behind a " +
            "pooler, end its server sessions; where the role may not read pg_db_role_setting, restart the instances)."),
        DatabaseFailureKind.ServerStopped or DatabaseFailureKind.SessionEnded => HealthCheckResult.Unhealthy(
            $"PostgreSQL ended the readiness check's session: {failure.Postgres!.SqlState} {failure.Postgres.MessageText}", data: ReadinessLog.Outage),
        // Its text says what to do (restart this instance with the new master key).
        DatabaseFailureKind.SecretUnderRetiredKey => HealthCheckResult.Unhealthy(failure.Postgres!.MessageText),
        DatabaseFailureKind.MasterKeyRetired or DatabaseFailureKind.MasterKeyMissing => HealthCheckResult.Unhealthy(failure.Cause.Message),
        DatabaseFailureKind.Conflict => HealthCheckResult.Unhealthy(
            $"The database rolled the readiness check back as a conflict with another session: {failure.Postgres!.SqlState} {failure.Postgres.MessageText}",
            data: ReadinessLog.Outage),
        // Reached: no outage to wait out, but a certificate to trust (a server's renewed under another CA) or a TLS setting to correct.
        DatabaseFailureKind.ClientCertificateRefused => HealthCheckResult.Unhealthy(
            $"The database refused this client's certificate ({failure.Cause.Message.TrimEnd('.')}; docs/operations.md \"TLS to PostgreSQL\")."),
        DatabaseFailureKind.CertificateRejected => HealthCheckResult.Unhealthy(
            $"The TLS handshake with the database failed ({failure.Cause.Message.TrimEnd('.')}): its certificate is not one the connection " +
            "string's SSL Mode and Root Certificate accept (docs/operations.md \"TLS to PostgreSQL\")."),
        DatabaseFailureKind.NoCommonTls => HealthCheckResult.Unhealthy(
            $"The TLS handshake with the database failed ({FaultLog.Reason(ex)}): no TLS version or cipher in common " +
            "(docs/operations.md \"TLS to PostgreSQL\")."),
        DatabaseFailureKind.TlsNotOffered => HealthCheckResult.Unhealthy(
            $"The database does not offer TLS, which the connection string requires: {failure.Cause.Message}"),
        // (Found before by DatabaseReadOnly, unless it turned read-only between the statements of one check.)
        DatabaseFailureKind.ReadOnly => HealthCheckResult.Unhealthy($"The database refused a write as read-only: {failure.Postgres!.SqlState} {failure.Postgres.MessageText}"),
        // Its reason in one line (the innermost exception's type and message: no stack trace on every probe of an outage).
        DatabaseFailureKind.Unreachable => HealthCheckResult.Unhealthy(
            $"The database is not reachable{NoHostAsAsked(db, ex)} ({FaultLog.Reason(ex)}).", data: ReadinessLog.Outage),
    };
#pragma warning restore CS8524

    /// <summary>
    /// What Npgsql's "No suitable host was found" means with several hosts and <c>Target Session Attributes</c> (a standby
    /// setup): none answered as asked — the primary down and none promoted yet, or every host read-only. A failover probe
    /// read only "not reachable" there, though the hosts answered. Anywhere in the chain: one host timing out beside another
    /// starting up puts a timeout innermost (a review).
    /// </summary>
    private static string NoHostAsAsked(ProvisioningDbContext db, Exception ex) =>
        NamesNoSuitableHost(ex)
        && new Npgsql.NpgsqlConnectionStringBuilder(db.Database.GetConnectionString()) is { TargetSessionAttributes: { Length: > 0 } wanted, Host: { } hosts }
        && hosts.Contains(',', StringComparison.Ordinal)
            ? $": none of its hosts is one that Target Session Attributes={wanted} asks for (the primary down and none promoted " +
              "yet, or every host read-only: docs/operations.md \"Failover to a standby\")"
            : string.Empty;

    private static bool NamesNoSuitableHost(Exception? ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e.Message.Contains("No suitable host", StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
