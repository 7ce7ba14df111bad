using Microsoft.Extensions.Options;
using Npgsql;
using Provisioning.Infrastructure;
using Provisioning.Infrastructure.Persistence;

namespace Provisioning.WebApi.Hosting;

/// <summary>
/// Turns the failures an operator can fix at start-up — configuration, an unreachable or refusing database, a port
/// in use — into a <see cref="StartupException"/> with one sentence saying what is wrong. Anything else is a bug and
/// keeps its stack trace.
/// </summary>
public static class StartupChecks
{
    public static T Run<T>(Func<T> step)
    {
        try
        {
            return step();
        }
        catch (Exception ex) when (Explain(ex, null, DependencyInjection.ConnectionStringName) is { } message)
        {
            throw new StartupException(message, ex);
        }
    }

    public static void Run(Action step) => Run(() =>
    {
        step();
        return true;
    });

    /// <summary>
    /// Runs <paramref name="step"/>, which reaches the database through the connection string named
    /// <paramref name="setting"/> (<c>ConnectionStrings:&lt;setting&gt;</c>): a database's refusal names it.
    /// </summary>
    public static async Task RunAsync(Func<Task> step, IConfiguration configuration, string setting = DependencyInjection.ConnectionStringName)
    {
        try
        {
            await step();
        }
        catch (Exception ex) when (Explain(ex, configuration, setting) is { } message)
        {
            throw new StartupException(message, ex);
        }
    }

    private static string? Explain(Exception ex, IConfiguration? configuration, string setting)
    {
        var failure = DatabaseFailure.Of(ex);
        return ex switch
        {
            StartupException e => e.Message,
            OptionsValidationException e => e.Message,
            // The configuration binder's own sentence names the value and the setting: "Failed to convert configuration value
            // 'maybe' at 'Provisioning:Database:MigrateOnStartup' to type 'System.Boolean'.", and then what it takes.
            InvalidOperationException e when e.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal) =>
                e.Message.TrimEnd('.') + ": " + Takes(e.Message) + " (README, \"Configuration\").",
            // Kestrel's bind failure is an IOException over a socket error, which the database's arms take too.
            IOException e when e.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException
                               || e.Message.StartsWith("Failed to bind to address", StringComparison.Ordinal) =>
                $"Cannot listen: {e.Message.TrimEnd('.')} (choose another address with --urls).",
            // Anything else the web server refuses as it starts (an address it cannot read or bind, a certificate it cannot
            // load): a stack trace and exit 134, or told as the database's or the master key's (a certificate's password).
            _ when FromTheWebServer(ex) =>
                $"Cannot listen as the settings say (--urls or ASPNETCORE_URLS, Kestrel:Endpoints, Kestrel:Certificates): {Said(ex)}" +
                (ex.Message.Contains("No server certificate was specified", StringComparison.Ordinal)
                    ? " (an https address needs a certificate: docs/operations.md, \"Serving https without a proxy\")."
                    : "."),
            // Before the master key's arms: a client key whose SSL Password is wrong is a CryptographicException too (a review).
            _ when failure is { Kind: DatabaseFailureKind.ConnectionFileUnusable } => Sentence(failure, configuration, setting),
            // One that names a configured key and does not decrypt with it: no key to give (rotate-secrets wraps it, naming the row).
            System.Security.Cryptography.CryptographicException e when e.GetBaseException() is Infrastructure.Security.SecretAlteredException =>
                $"A stored secret cannot be decrypted: {e.Message.TrimEnd('.')}. No master key will decrypt it: restore that row from a " +
                "backup, or delete the credential (a stored answer: delete its row from idempotency_records; its request runs again when retried).",
            System.Security.Cryptography.CryptographicException e => KeyMissing(e),
            Infrastructure.InvalidSettingException e => e.Message,
            Infrastructure.Persistence.MigrationFailedException e => e.Message,
            Infrastructure.Persistence.UnsuitableDatabaseException e => e.Message,
            ArgumentException e when configuration is not null && e.Source == "Npgsql" =>
                Infrastructure.DependencyInjection.InvalidConnectionString(setting, configuration.GetConnectionString(setting)),
            _ when failure is not null => Sentence(failure, configuration, setting),
            _ => null,
        };
    }

    /// <summary>What a value of the type the binder named looks like: it named a .NET type, not what to write (a probe).</summary>
    private static string Takes(string message) =>
        message.EndsWith("'System.Boolean'.", StringComparison.Ordinal) ? "the setting takes true or false"
        : message.EndsWith("'System.TimeSpan'.", StringComparison.Ordinal)
            ? "the setting takes a time span, hh:mm:ss or d.hh:mm:ss (01:00:00 is an hour, 30.00:00:00 thirty days; a bare number is days)"
        : message.EndsWith("'System.Int32'.", StringComparison.Ordinal) ? "the setting takes a whole number, written in digits"
        : "the setting takes a value of another kind";

    /// <summary>
    /// Whether Kestrel threw <paramref name="ex"/>, or called what did (a certificate's file, its key): its frames are on the
    /// stack. Not when the service's own code, called by Kestrel (the endpoint defaults of
    /// <see cref="FrontDoor.ServerRefusalEnvelopes"/>), was running where it was thrown — itself or through what it called
    /// (<c>ArgumentNullException.ThrowIfNull</c>, a dictionary's indexer): that is a defect, which keeps its stack trace.
    /// </summary>
    private static bool FromTheWebServer(Exception ex) =>
        !ThrownInTheServicesCode(ex.GetBaseException())
        && new System.Diagnostics.StackTrace(ex).GetFrames().Any(frame => InAssembly(frame, "Microsoft.AspNetCore.Server.Kestrel"));

    /// <summary>Whether a frame of the service's own comes before (inside) any of Kestrel's, from where it was thrown.</summary>
    private static bool ThrownInTheServicesCode(Exception ex)
    {
        foreach (var frame in new System.Diagnostics.StackTrace(ex).GetFrames())
        {
            if (InAssembly(frame, "Microsoft.AspNetCore.Server.Kestrel"))
            {
                return false;
            }

            if (InAssembly(frame, "Provisioning."))
            {
                return true;
            }
        }

        return false;
    }

    private static bool InAssembly(System.Diagnostics.StackFrame? frame, string prefix) =>
        frame?.GetMethod()?.DeclaringType?.Assembly.GetName().Name?.StartsWith(prefix, StringComparison.Ordinal) == true;

    /// <summary>
    /// What went wrong, in one line: the exception's first line (Kestrel's https refusal goes on with the developer
    /// certificate's tool, which is not for a server) and its innermost cause's words, which it often only points to ("The
    /// SSL connection could not be established, see inner exception"). The start's and <c>healthcheck</c>'s.
    /// </summary>
    internal static string Said(Exception ex)
    {
        const string pointer = ", see inner exception";
        var said = ex.Message.Split('\n')[0].TrimEnd('.', '\r');
        said = said.EndsWith(pointer, StringComparison.Ordinal) ? said[..^pointer.Length] : said;
        var cause = ex.InnerException?.GetBaseException().Message.TrimEnd('.');
        return cause is null || said.Contains(cause, StringComparison.Ordinal) ? said : $"{said}: {cause}";
    }

    /// <summary>What to do about a database failure at the start, one sentence per kind (/readyz says each in its own words).</summary>
#pragma warning disable CS8524 // Every named kind has its arm: a kind added without one is CS8509, an error.
    private static string Sentence(DatabaseFailure failure, IConfiguration? configuration, string setting) => failure.Kind switch
    {
        DatabaseFailureKind.ConnectionFileUnusable =>
            $"A certificate, key or file Npgsql reads to connect cannot be used (ConnectionStrings:{setting}'s Root Certificate, SSL " +
            $"Certificate, SSL Key or Passfile, or their PGSSLROOTCERT, PGSSLCERT, PGSSLKEY, PGPASSFILE defaults): {failure.Cause.Message.TrimEnd('.')}. " +
            "Correct the path, let the service's user read it, or give the right file (a PEM certificate, the client key with its SSL " +
            "Password), then start again (docs/operations.md \"TLS to PostgreSQL\").",
        DatabaseFailureKind.LoginRefused =>
            $"PostgreSQL refused the login given in ConnectionStrings:{setting} ({Where(configuration, setting)}): {failure.Postgres!.MessageText}. " +
            "Correct its Username or Password (its SSL Certificate and SSL Key where the server asks for a client certificate), or the " +
            "server's pg_hba.conf, then start again.",
        DatabaseFailureKind.DatabaseMissing =>
            $"The database named in ConnectionStrings:{setting} does not exist ({Where(configuration, setting)}): {failure.Postgres!.MessageText}. " +
            "The service never creates one (a misspelt name would start an empty service): correct the name, or create it first (createdb).",
        // A request answers 503 for it; here it is no outage, and the tables are named.
        DatabaseFailureKind.MissingRight =>
            DatabaseGrants.Sentence($"({Where(configuration, setting)}; {failure.Postgres!.MessageText})", setting),
        DatabaseFailureKind.OutOfResource =>
            $"PostgreSQL refused the work for want of a resource ({Where(configuration, setting)}): {failure.Postgres!.SqlState} {failure.Postgres.MessageText.TrimEnd('.')}. " +
            "Free it (disk space, memory, connections) or raise the limit it names, then run it again.",
        DatabaseFailureKind.TimedOut =>
            $"PostgreSQL did not answer in time ({Where(configuration, setting)}): {failure.Cause.Message.TrimEnd('.')}. " +
            $"Either it cannot be reached there (start it, or correct the Host and Port in ConnectionStrings:{setting}), or a lock " +
            "held by another session or a busy server held the work up (pg_stat_activity shows which): run it again once it is free.",
        DatabaseFailureKind.ServerTimedOut =>
            $"PostgreSQL cancelled the work on its own timer ({Where(configuration, setting)}): {failure.Postgres!.SqlState}: {failure.Postgres.MessageText.TrimEnd('.')}. " +
            "Either a statement_timeout or lock_timeout set on the service's role or database is too short for it (see pg_db_role_setting; " +
            "ALTER ROLE … RESET statement_timeout), or a lock another session held past it (pg_stat_activity shows which): correct " +
            "the setting, or run it again once the lock is free.",
        // Reached, so not "correct the Host and Port"; nothing of the work's transaction was committed unless it was committing.
        DatabaseFailureKind.ServerStopped =>
            $"PostgreSQL ended the session at {Where(configuration, setting)}: {failure.Postgres!.SqlState}: {failure.Postgres.MessageText.TrimEnd('.')} (the server stopped or " +
            "restarted, or an administrator ended the session). The transaction under way was rolled back unless it was committing; " +
            "once the server is back, run it again.",
        // A full disk ("could not write init file"), a database that takes no connections: its own words (a review).
        DatabaseFailureKind.SessionEnded =>
            $"PostgreSQL at {Where(configuration, setting)} ended the session: {failure.Postgres!.SqlState}: {failure.Postgres.MessageText.TrimEnd('.')}. Fix what it " +
            "names (free disk space for a file it could not write), then run it again.",
        // Migration SecretsUnderRetiredKeysRefused: the database's sentence says what to do.
        DatabaseFailureKind.SecretUnderRetiredKey => failure.Postgres!.MessageText,
        DatabaseFailureKind.MasterKeyRetired => failure.Cause.Message, // (the same, found by this process first)
        DatabaseFailureKind.MasterKeyMissing => KeyMissing((System.Security.Cryptography.CryptographicException)failure.Cause),
        // That the step's own retries did not get past (the migrations': DatabaseMigrator.MigrateRetryingConflictsAsync);
        // nothing of the rolled-back work was written.
        DatabaseFailureKind.Conflict =>
            $"PostgreSQL rolled the work back as a conflict with another session ({Where(configuration, setting)}): " +
            $"{failure.Postgres!.SqlState}: {failure.Postgres.MessageText.TrimEnd('.')}. Other sessions lock the same tables in another order (pg_stat_activity shows " +
            "them: requests of running instances, a delete-tenant, bulk SQL): run it again once they are done.",
        // Reached, so not "start it, or correct the Host and Port" (a probe of TLS to PostgreSQL read that for each of these).
        DatabaseFailureKind.ClientCertificateRefused =>
            $"PostgreSQL at {Where(configuration, setting)} refused this client's certificate (ConnectionStrings:{setting}): " +
            $"{failure.Cause.Message.TrimEnd('.')}. 'unknown ca': no CA of the server's ssl_ca_file signed the SSL Certificate; 'certificate " +
            "required': the server asks for one (SSL Certificate, SSL Key). Give it a certificate it accepts, then start again " +
            "(docs/operations.md \"TLS to PostgreSQL\").",
        DatabaseFailureKind.CertificateRejected =>
            $"PostgreSQL at {Where(configuration, setting)} was reached, but the TLS handshake failed (ConnectionStrings:{setting}): " +
            $"{failure.Cause.Message.TrimEnd('.')}. With SSL Mode=VerifyCA or VerifyFull its certificate must be signed by a CA in the connection " +
            "string's Root Certificate file (without one, by a CA the system trusts), and with VerifyFull also name the Host as " +
            "written there: give the CA that signed it, or the name it holds, then start again (docs/operations.md \"TLS to PostgreSQL\").",
        DatabaseFailureKind.NoCommonTls =>
            $"PostgreSQL at {Where(configuration, setting)} was reached, but the TLS handshake failed (ConnectionStrings:{setting}): " +
            $"{failure.Cause.Message.TrimEnd('.')} ({failure.Cause.GetBaseException().Message.TrimEnd('.')}). The server and this host agree on no TLS version or cipher: " +
            "compare the server's ssl_min_protocol_version, ssl_max_protocol_version and ssl_ciphers with what this host's OpenSSL " +
            "takes, then start again (docs/operations.md \"TLS to PostgreSQL\").",
        DatabaseFailureKind.TlsNotOffered =>
            $"PostgreSQL at {Where(configuration, setting)} was reached, but not over TLS, which ConnectionStrings:{setting} requires " +
            $"(SSL Mode): {failure.Cause.Message.TrimEnd('.')}. Turn ssl on in the server, or correct the SSL Mode, then start again " +
            "(docs/operations.md \"TLS to PostgreSQL\").",
        DatabaseFailureKind.ReadOnly =>
            $"PostgreSQL at {Where(configuration, setting)} refused a write as read-only: {failure.Postgres!.SqlState}: {failure.Postgres.MessageText.TrimEnd('.')}. " +
            $"It is a standby (point ConnectionStrings:{setting} at the primary), or default_transaction_read_only is on for the " +
            "service's role or database (ALTER ROLE … RESET default_transaction_read_only): correct it, then start again.",
        DatabaseFailureKind.Unreachable =>
            $"PostgreSQL cannot be reached at {Where(configuration, setting)} (ConnectionStrings:{setting}): {failure.Cause.Message.TrimEnd('.')}. " +
            "Start it, or correct the Host and Port in the connection string." + (ResetWithAClientCertificate(failure, configuration, setting)
                ? " Or it was reached and refused this client's certificate (SSL Certificate): over TLS 1.3 that refusal can come as this " +
                  "reset, its alert lost on the way; the server's log says which (docs/operations.md \"TLS to PostgreSQL\")."
                : string.Empty),
    };
#pragma warning restore CS8524

    private static string KeyMissing(System.Security.Cryptography.CryptographicException e) =>
        $"A stored secret cannot be decrypted with Provisioning:Secrets:MasterKey or any of Provisioning:Secrets:PreviousMasterKeys " +
        $"({e.Message.TrimEnd('.')}); list the master key it was encrypted with among the previous keys (docs/operations.md, \"Rotate the master key\").";

    /// <summary>
    /// A connection reset (or a write to a closed one) at the start, with a client certificate to send: with TLS 1.3 the
    /// server checks the certificate after the client's handshake is done and sends its refusal as an alert, then closes;
    /// a client whose first write comes late (a loaded host) meets the close as a reset before it reads the alert (CI,
    /// 2026-12-06), and would be told only "start it, or correct the Host and Port". The certificate is the connection
    /// string's <c>SSL Certificate</c>, else <c>PGSSLCERT</c>, else <c>~/.postgresql/postgresql.crt</c> where it exists
    /// (Npgsql's order); none is sent with <c>SSL Mode=Disable</c>. A reset later in the step (a server stopping during the
    /// migrations) reads the same: hence "or".
    /// </summary>
    private static bool ResetWithAClientCertificate(DatabaseFailure failure, IConfiguration? configuration, string setting)
    {
        if (failure.Cause is not System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionReset or System.Net.Sockets.SocketError.Shutdown })
        {
            return false;
        }

        try
        {
            var builder = new NpgsqlConnectionStringBuilder(configuration?.GetConnectionString(setting));
            return builder.SslMode != SslMode.Disable
                && (!string.IsNullOrEmpty(builder.SslCertificate)
                    || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("PGSSLCERT"))
                    || File.Exists(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".postgresql", "postgresql.crt")));
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Host, port and database of the connection string named <paramref name="setting"/>: never the password.</summary>
    private static string Where(IConfiguration? configuration, string setting)
    {
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(configuration?.GetConnectionString(setting));
            return $"{builder.Host}:{builder.Port}, database '{builder.Database}'";
        }
        catch (ArgumentException)
        {
            return "the configured server";
        }
    }
}
