using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Infrastructure.Credentials;
using Provisioning.Infrastructure.Persistence;
using Provisioning.Infrastructure.Security;

namespace Provisioning.Infrastructure;

public static class DependencyInjection
{
    public const string ConnectionStringName = "Provisioning";

    /// <summary>
    /// <c>ConnectionStrings:ProvisioningSession</c>: where the connections that must keep a session go when
    /// <c>ConnectionStrings:Provisioning</c> goes through a pooler in transaction mode (<see cref="SessionConnectionString"/>).
    /// </summary>
    public const string SessionConnectionStringName = "ProvisioningSession";

    private static readonly RevocationCommandInterceptor RevocationInterceptor = new();
    private static readonly LeadingStatementInterceptor LeadingInterceptor = new();

    /// <summary>
    /// Development key, used only in the Development environment when no master key is configured,
    /// so `dotnet run` works out of the box. Never used anywhere else.
    /// </summary>
    private static readonly byte[] DevelopmentMasterKey = System.Security.Cryptography.SHA256.HashData("provisioning-development-only"u8);

    /// <summary>
    /// Registers the store, secrets and credential services. Configuration is read when the services
    /// are first used; <see cref="ValidateConfiguration"/> checks it up front at start-up.
    /// </summary>
    public static IServiceCollection AddInfrastructure(this IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        // Pooled: a request leases a context that is already built (its services, options and model resolved) instead of
        // constructing one, which was a large share of a GET's CPU. The context keeps no per-request state the pool does
        // not reset (MayHaveRevokedCredentials and Leading are reset by the unit of work when a transaction begins and
        // ends), and the interceptors are stateless singletons.
        services.AddSingleton<ServiceInstance>();
        services.AddSingleton(sp =>
        {
            var verb = sp.GetRequiredService<ServiceInstance>().Verb is not null;
            var setting = PoolSetting(configuration, verb);
            var transactionPooled = !verb && SessionConnectionStringOrNull(configuration) is not null;
            var pooled = setting == ConnectionStringName ? ConnectionString(configuration) : SessionConnectionStringOrNull(configuration)!;
            return new DatabaseConnectionString(WithDefaults(pooled, ApplicationName(sp), transactionPooled, setting), transactionPooled);
        });
        services.AddSingleton(sp => new SessionConnectionString(SessionConnectionStringOrNull(configuration) is { } session
            ? WithDefaults(session, ApplicationName(sp), name: SessionConnectionStringName)
            : WithDefaults(ConnectionString(configuration), ApplicationName(sp))));
        services.AddSingleton(sp => BuildDataSource(sp.GetRequiredService<DatabaseConnectionString>().Value));
        services.AddDbContextPool<ProvisioningDbContext>((sp, options) => options
            .UseNpgsql(sp.GetRequiredService<Npgsql.NpgsqlDataSource>(), npgsql => npgsql.MigrationsHistoryTable("__EFMigrationsHistory"))
            .UseSnakeCaseNamingConvention()
            // A failed save, command or commit is reported once, by the service (a 409 for a unique race, a logged fault
            // with the request id otherwise), not again by EF at Error level with its SQL text; so is a connection that could not
            // be opened (a 503 logged by the service, or an operator verb's one sentence). A commit cancelled because
            // the client hung up is no fault at all: the transaction rolls back and nobody is there to answer
            // (ClientAbortTests). Whether the model matches the migrations is a test's question (PersistenceModelTests), not
            // every migrating start's: EF answered it by building the last snapshot's model and comparing it with this one.
            .ConfigureWarnings(w => w.Log(
                (CoreEventId.SaveChangesFailed, LogLevel.Debug),
                (CoreEventId.QueryIterationFailed, LogLevel.Debug),
                (RelationalEventId.CommandError, LogLevel.Debug),
                (RelationalEventId.ConnectionError, LogLevel.Debug),
                (RelationalEventId.TransactionError, LogLevel.Debug))
                .Ignore(RelationalEventId.PendingModelChangesWarning))
            .AddInterceptors(RevocationInterceptor, LeadingInterceptor));
        services.AddScoped<IProvisioningDbContext>(sp => sp.GetRequiredService<ProvisioningDbContext>());
        services.AddScoped<CommitTail>();
        services.AddScoped<IUnitOfWork, UnitOfWork>();
        services.AddScoped<ITenantLocks, TenantLocks>();
        services.AddScoped<ICascadeLocks, CascadeLocks>();
        services.AddScoped<MasterKeyCheck>();
        services.AddScoped<ITenantBudgets, TenantBudgets>();
        services.AddScoped<IIdempotencyStore, Idempotency.IdempotencyStore>();
        services.AddScoped<IAuditEventReader, Audit.AuditEventReader>();
        services.AddScoped<IAuditEventWriter, Audit.AuditEventWriter>();
        services.AddOptions<Retention.RetentionOptions>()
            .Configure(o =>
            {
                o.IdempotencyRetentionHours = configuration.GetValue(Retention.RetentionOptions.IdempotencyRetentionHoursSetting, o.IdempotencyRetentionHours);
                o.AuditRetentionDays = configuration.GetValue(Retention.RetentionOptions.AuditRetentionDaysSetting, o.AuditRetentionDays);
                o.IntervalMinutes = configuration.GetValue(Retention.RetentionOptions.IntervalMinutesSetting, o.IntervalMinutes);
            })
            .Validate(o => o.IdempotencyRetentionHours >= Retention.RetentionOptions.MinIdempotencyRetentionHours,
                $"{Retention.RetentionOptions.IdempotencyRetentionHoursSetting} must be {Retention.RetentionOptions.MinIdempotencyRetentionHours} or more (retries are honoured for at least a day).")
            .Validate(o => o.AuditRetentionDays >= 1, $"{Retention.RetentionOptions.AuditRetentionDaysSetting} must be 1 or more.")
            .Validate(o => o.IntervalMinutes is >= 1 and <= 1440, $"{Retention.RetentionOptions.IntervalMinutesSetting} must be between 1 and 1440.")
            .ValidateOnStart();
        services.AddSingleton<Retention.RetentionPruner>();
        services.AddSingleton<DatabaseClock>();
        services.AddHostedService(sp => sp.GetRequiredService<Retention.RetentionPruner>());
        services.AddSingleton<OffsetAnchors>();
        services.AddScoped<ITenantAppPages, TenantAppPages>();
        services.AddScoped<ITenantServiceAccountPages, TenantServiceAccountPages>();
        services.AddScoped<ITenantViewReads, TenantViewReads>();

        services.AddSingleton(_ => new AesGcmSecretProtector(MasterKey(configuration, environment), PreviousMasterKeys(configuration)));
        services.AddSingleton<ISecretProtector>(sp => sp.GetRequiredService<AesGcmSecretProtector>());
        services.AddScoped<SecretRotation>();
        services.AddSingleton<IDatabaseFaults, DatabaseFaults>();
        services.AddSingleton<ISecretHasher, SecretHasher>();
        services.AddSingleton<ISecretGenerator, SecretGenerator>();
        services.AddOptions<JwtOptions>().Bind(configuration.GetSection(JwtOptions.Section))
            .Validate(o => o.Lifetime >= TimeSpan.FromSeconds(1) && o.Lifetime <= TimeSpan.FromDays(30), "Provisioning:Jwt:Lifetime must be between 1 second and 30 days.")
            .ValidateOnStart();
        services.AddSingleton<ITokenIssuer, JwtTokenIssuer>();

        services.TryAddTimeProvider();
        services.AddMemoryCache(o => o.SizeLimit = 100_000);
        services.AddOptions<CredentialLookupOptions>().Bind(configuration.GetSection(CredentialLookupOptions.Section))
            .Validate(o => o.ConcurrentLookups is >= 1 and <= CredentialLookupOptions.MaxConcurrentLookups,
                $"{CredentialLookupOptions.ConcurrentLookupsSetting} must be between 1 and {CredentialLookupOptions.MaxConcurrentLookups}.")
            .ValidateOnStart();
        services.AddSingleton<CredentialLookups>();
        services.AddSingleton<CachedCredentialStore>();
        services.AddSingleton<ICredentialStore>(sp => sp.GetRequiredService<CachedCredentialStore>());
        services.AddSingleton<RevocationBarrier>();
        services.AddSingleton<RetiredMasterKeyWatch>();
        services.AddHostedService(sp => sp.GetRequiredService<RetiredMasterKeyWatch>());
        services.AddHostedService<CredentialRevocationListener>();
        services.AddSingleton<KeyUsageRecorder>();
        services.AddSingleton<IKeyUsageRecorder>(sp => sp.GetRequiredService<KeyUsageRecorder>());
        services.AddHostedService(sp => sp.GetRequiredService<KeyUsageRecorder>());
        return services;
    }

    /// <summary>
    /// PGAPPNAME, which Npgsql reads when the connection string names none, is the operator's name too: written into the
    /// string, so that the string alone says what the sessions are named.
    /// </summary>
    private static string ApplicationName(IServiceProvider services) =>
        Environment.GetEnvironmentVariable("PGAPPNAME") is { Length: > 0 } named ? named : services.GetRequiredService<ServiceInstance>().ApplicationName;

    /// <summary>Fails with a sentence saying what to set when the connection string or the master key is missing or malformed.</summary>
    public static void ValidateConfiguration(IConfiguration configuration, IHostEnvironment environment)
    {
        WithDefaults(ConnectionString(configuration));
        if (SessionConnectionStringOrNull(configuration) is { } session)
        {
            WithDefaults(session, name: SessionConnectionStringName);
        }

        MasterKey(configuration, environment);
        PreviousMasterKeys(configuration);
    }

    /// <summary>
    /// <c>Provisioning:Secrets:PreviousMasterKeys:0</c>, <c>:1</c>, …: older keys that still decrypt while <c>rotate-secrets</c>
    /// runs; and one set without an index (<c>Provisioning__Secrets__PreviousMasterKeys=…</c>), which was read as none.
    /// </summary>
    private static List<byte[]> PreviousMasterKeys(IConfiguration configuration)
    {
        var section = configuration.GetSection(SecretsOptions.PreviousMasterKeysSetting);
        return [.. section.GetChildren().Prepend(section)
            .Where(c => !string.IsNullOrWhiteSpace(c.Value))
            .Select(c => AesGcmSecretProtector.ParseMasterKey(c.Value, c.Path))];
    }

    private static string ConnectionString(IConfiguration configuration)
    {
        var connectionString = configuration.GetConnectionString(ConnectionStringName);
        return string.IsNullOrWhiteSpace(connectionString)
            ? throw new InvalidSettingException(
                "ConnectionStrings:Provisioning is not set. Set ConnectionStrings__Provisioning to a PostgreSQL connection string " +
                "(for example: Host=127.0.0.1;Port=5432;Database=provisioning;Username=postgres), or start the service with scripts/run.")
            : connectionString;
    }

    /// <summary>
    /// The setting whose connection string a process pools on (<see cref="DatabaseConnectionString"/>): an operator verb's
    /// process pools on <c>ConnectionStrings:ProvisioningSession</c> when it is set — its work is one long unit (a tenant's
    /// deletion that lifts the session's timeouts, a rotation's passes), not requests a transaction pooler would spread —
    /// and every other on <c>ConnectionStrings:Provisioning</c>.
    /// </summary>
    public static string PoolSetting(IConfiguration configuration, bool verb) =>
        verb && SessionConnectionStringOrNull(configuration) is not null ? SessionConnectionStringName : ConnectionStringName;

    /// <summary><c>ConnectionStrings:ProvisioningSession</c>, or null when it is not set.</summary>
    public static string? SessionConnectionStringOrNull(IConfiguration configuration) =>
        configuration.GetConnectionString(SessionConnectionStringName) is { } session && !string.IsNullOrWhiteSpace(session) ? session : null;

    /// <summary>Statements each instance keeps prepared on a connection unless the connection string says otherwise.</summary>
    public const int DefaultMaxAutoPrepare = 64;

    /// <summary>
    /// Why a connection string does not parse, without Npgsql's text: that names the keyword it could not set, which is a
    /// piece of the password when an unquoted one holds a ';' ("Couldn't set topsecretpart").
    /// </summary>
    public static string InvalidConnectionString(string setting = ConnectionStringName) =>
        "ConnectionStrings:" + setting + " is not a valid PostgreSQL connection string: a keyword Npgsql does not know, " +
        "or a value of the wrong type (a value holding ';' or '=', such as a password, must be in double quotes).";

    /// <summary>
    /// Set on each connection the service's pool opens, once: an instance that vanishes mid-request (its host gone, a
    /// network cut: no FIN, no RST) left its session "idle in transaction", holding an Idempotency-Key's claim and a
    /// budget's row locks, for the two hours of PostgreSQL's default keepalive (retries answered 409 and the subtree's
    /// creates 503 meanwhile; a probe). The server now ends such a session after 60 s idle in a transaction (the service
    /// never idles in one for more than a moment), and an idle one whose peer is gone within ~25 s, as the revocation
    /// listener's. In the session, not as a startup "options" parameter, which some PgBouncer setups refuse; with
    /// <c>No Reset On Close=false</c> the reset between requests drops them (docs/operations.md). And a statement whose
    /// client is gone ends within seconds (<see cref="ClientCheck"/>, sent after these).
    /// </summary>
    internal const string SessionSettings = "SET idle_in_transaction_session_timeout = '60s'; " + ServerKeepalives;

    /// <summary>
    /// A backend busy with a statement, or waiting for a lock, does not read its socket, so neither keepalives nor the idle
    /// timeout end it when its process is gone: a <c>migrate</c> killed while its migration waited for a table kept the
    /// migrations' history locked (every start and verb waiting on it) until the lock it waited for came free, then ran on
    /// to fail at its first answer (an upgrade probe), and a request's statement does the same with the locks it holds.
    /// PostgreSQL 14 and later look at the client every 5 s during a statement (<c>client_connection_check_interval</c>;
    /// Linux, BSD, macOS). Sent only to a server of version 14 or later, and a refusal (another platform) leaves it unset:
    /// not in a <c>DO</c> block, which a role without rights on plpgsql cannot run (a review).
    /// </summary>
    internal const string ClientCheck = "SET client_connection_check_interval = '5s'";

    private static void SetClientCheck(Npgsql.NpgsqlConnection connection)
    {
        if (connection.PostgreSqlVersion.Major < 14)
        {
            return;
        }

        try
        {
            using var command = new Npgsql.NpgsqlCommand(ClientCheck, connection);
            command.ExecuteNonQuery();
        }
        catch (Npgsql.PostgresException)
        {
            // A platform without the check: the session goes without it, as on an older server.
        }
    }

    private static async Task SetClientCheckAsync(Npgsql.NpgsqlConnection connection)
    {
        if (connection.PostgreSqlVersion.Major < 14)
        {
            return;
        }

        try
        {
            await using var command = new Npgsql.NpgsqlCommand(ClientCheck, connection);
            await command.ExecuteNonQueryAsync();
        }
        catch (Npgsql.PostgresException)
        {
            // (as above)
        }
    }

    /// <summary>
    /// The server's side of TCP keepalive for a session: when its instance vanishes, the session ends within ~25 s instead
    /// of PostgreSQL's default two hours (pooled sessions, the revocation listener's, and session locks').
    /// </summary>
    internal const string ServerKeepalives = "SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5; SET tcp_keepalives_count = 3";

    private static Npgsql.NpgsqlCommand SessionSettingsCommand(Npgsql.NpgsqlConnection connection) => new(SessionSettings, connection);

    /// <summary>
    /// The pool of the service's connections, owned here (not built inside EF) so that it can be cleared after migrations
    /// (<see cref="Npgsql.NpgsqlConnection.ClearAllPools"/> does not reach a data source), with <see cref="SessionSettings"/> sent
    /// once on each new connection.
    /// </summary>
    private static Npgsql.NpgsqlDataSource BuildDataSource(string connectionString) =>
        new Npgsql.NpgsqlDataSourceBuilder(connectionString) { Name = DataSources.NameOf(connectionString) }
            .UsePhysicalConnectionInitializer(
                connection =>
                {
                    using (var command = SessionSettingsCommand(connection))
                    {
                        command.ExecuteNonQuery();
                    }

                    SetClientCheck(connection);
                },
                async connection =>
                {
                    await using (var command = SessionSettingsCommand(connection))
                    {
                        await command.ExecuteNonQueryAsync();
                    }

                    await SetClientCheckAsync(connection);
                })
            .Build();

    /// <summary>
    /// The connection string with the service's defaults for what it leaves unset (a key the string sets, in any of
    /// Npgsql's spellings, wins):
    /// <list type="bullet">
    /// <item><c>Max Auto Prepare=64</c>: the few statements every request sends are parsed and planned once per
    /// connection instead of on every execution (creates ≈ 1.5× faster, docs/performance.md). <c>Max Auto Prepare=0</c>
    /// turns it off. 0 when <paramref name="transactionPooled"/> (the pool's string while
    /// <c>ConnectionStrings:ProvisioningSession</c> is set: a pooler in transaction mode): a statement prepared in one
    /// transaction is on a server session the next may not get (PgBouncer before 1.21, or without
    /// <c>max_prepared_statements</c>: 26000 "prepared statement does not exist", 42P05, 08P01).</item>
    /// <item><c>No Reset On Close=true</c>: a connection handed back to the pool is not reset. With prepared statements
    /// Npgsql cannot use <c>DISCARD ALL</c> and sends seven statements instead (<c>CLOSE ALL</c>, <c>RESET ALL</c>,
    /// <c>UNLISTEN *</c>, …) before the connection's next use: measured, that was every GET's second round of
    /// statements. The service leaves nothing on a session to reset: its locks and settings are transaction-scoped, the
    /// revocation listener has an unpooled connection of its own, and the pool is cleared after migrating.</item>
    /// <item><c>Application Name</c>: <paramref name="applicationName"/>, the instance's (<see cref="ServiceInstance"/>), so
    /// that an operator can tell in <c>pg_stat_activity</c> and PostgreSQL's log which instance a session belongs to (or
    /// <c>PGAPPNAME</c>'s, which the caller passes then); not when the string sets <c>Application Name</c>.</item>
    /// </list>
    /// </summary>
    public static string WithDefaults(string connectionString, string? applicationName = null, bool transactionPooled = false, string name = ConnectionStringName)
    {
        System.Data.Common.DbConnectionStringBuilder given;
        Npgsql.NpgsqlConnectionStringBuilder builder;
        try
        {
            given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
            builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException e)
        {
            // "Format of the initialization string does not conform to specification starting at index 124", or an unknown key.
            throw new InvalidSettingException(InvalidConnectionString(name), e);
        }

        bool Unset(string key) => !given.ContainsKey(key) && !given.ContainsKey(key.Replace(" ", string.Empty, StringComparison.Ordinal));
        if (Unset("Max Auto Prepare"))
        {
            builder.MaxAutoPrepare = transactionPooled ? 0 : DefaultMaxAutoPrepare;
        }

        if (Unset("No Reset On Close"))
        {
            builder.NoResetOnClose = true;
        }

        if (applicationName is not null && Unset("Application Name"))
        {
            builder.ApplicationName = applicationName;
        }

        return builder.ConnectionString;
    }

    private static byte[] MasterKey(IConfiguration configuration, IHostEnvironment environment)
    {
        var masterKey = configuration[$"{SecretsOptions.Section}:MasterKey"];
        return string.IsNullOrWhiteSpace(masterKey) && environment.IsDevelopment()
            ? DevelopmentMasterKey
            : AesGcmSecretProtector.ParseMasterKey(masterKey);
    }

    private static void TryAddTimeProvider(this IServiceCollection services)
    {
        if (!services.Any(d => d.ServiceType == typeof(TimeProvider)))
        {
            services.AddSingleton<TimeProvider>(new StoredPrecisionClock());
        }
    }

    /// <summary>
    /// Whether migrations are pending (a database a newer version migrated is named in a Warning, as when migrating). While
    /// another process migrates, the answer is the one it leaves: this waits for it, as a start that migrates does.
    /// </summary>
    public static async Task<bool> HasPendingMigrationsAsync(this IServiceProvider services, CancellationToken cancellationToken = default)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ProvisioningDbContext>();
        var logger = MigrationsLogger(scope.ServiceProvider);
        await EnsureDatabaseExistsAsync(db, cancellationToken);
        if (await MigrationHistory.ReadUnlessMigratingAsync(db, cancellationToken) is not { } state)
        {
            await using (await WaitForMigrationsAsync(scope.ServiceProvider, logger, cancellationToken))
            {
                state = await ReadHistoryWhenFreeAsync(db, logger, cancellationToken);
            }
        }

        return Report(state, logger);
    }

    private static ILogger MigrationsLogger(IServiceProvider services) =>
        services.GetRequiredService<ILoggerFactory>().CreateLogger("Provisioning.Migrations");

    /// <summary>
    /// Names in a Warning the applied migrations this build does not have, and returns whether any of its own are pending.
    /// A newer version migrated such a database (an upgrade rolled back, or an old instance restarted mid-rollout). Not
    /// refused: migrations are additive, so an older build runs on a newer schema, which a rolling upgrade relies on; but
    /// the operator is told (docs/operations.md, "Upgrading").
    /// </summary>
    private static bool Report(MigrationHistory.State state, ILogger logger)
    {
        if (state.Unknown.Count > 0)
        {
            logger.LogWarning(
                "The database has {Count} migration(s) this build does not have ({Migrations}): a newer version migrated it. " +
                "This build runs on it while those migrations only added to the schema; run the newer version, or restore the " +
                "backup taken before the upgrade, to go back for good", state.Unknown.Count, string.Join(", ", state.Unknown));
        }

        return state.Pending.Count > 0;
    }

    /// <summary>
    /// The history once no session holds its table: after a migrating process's lock was had, a session that holds the table
    /// without it (a killed <c>migrate</c>'s, still waiting for a lock; one of the operator's) is waited for too, and named.
    /// </summary>
    private static Task<MigrationHistory.State> ReadHistoryWhenFreeAsync(ProvisioningDbContext db, ILogger logger, CancellationToken cancellationToken) =>
        MigrationHistory.ReadWhenFreeAsync(db,
            holder => logger.LogInformation("Waiting for the migrations' history table, which {Holder} holds", holder), cancellationToken);

    /// <summary>
    /// The lock a migrating process holds for all of its migrations, once it is free; says, once, that it waits and for whom
    /// (a session that holds it without end — a stuck <c>migrate</c> — is then found in <c>pg_stat_activity</c> by that name).
    /// </summary>
    private static Task<SessionLock> WaitForMigrationsAsync(IServiceProvider services, ILogger logger, CancellationToken cancellationToken) =>
        SessionLock.TakeAsync(
            services.GetRequiredService<SessionConnectionString>().Value, MigrationLock,
            holder => logger.LogInformation("Waiting for another process's migrations to finish (the lock is held by {Holder})", holder),
            cancellationToken);

    /// <summary>
    /// Connects once, so that a database that does not exist is PostgreSQL's 3D000 (explained at start-up) instead of
    /// one EF Core's migrations would create: a misspelt name in the connection string must not start an empty service
    /// with a new root tenant. Databases are created by whoever installs the service (scripts/run, compose, the DBA).
    /// </summary>
    private static async Task EnsureDatabaseExistsAsync(ProvisioningDbContext db, CancellationToken cancellationToken)
    {
        await db.Database.OpenConnectionAsync(cancellationToken);
        await db.Database.CloseConnectionAsync();
    }

    /// <summary>
    /// Said by an operator verb's process (the service built, never started), before anything touches the database: its
    /// PostgreSQL sessions are named by <paramref name="verb"/> (<see cref="ServiceInstance"/>), and no revocation listener
    /// runs here, so a revocation it commits does not wait for confirmations it could not hear (the instances get the
    /// notices at the commit).
    /// </summary>
    public static void ServesNoRequests(this IServiceProvider services, string verb) =>
        services.GetRequiredService<ServiceInstance>().RunsVerb(verb);

    /// <summary>
    /// For an operator's long unit of work in <paramref name="scope"/> (<c>delete-tenant</c>): no command timeout on the
    /// scope's context (which every statement of the unit of work follows, <see cref="ProvisioningDbContext.FollowCommandTimeout(System.Data.Common.DbCommand)"/>),
    /// and no <c>statement_timeout</c> or <c>lock_timeout</c> an operator may have set on the role or database, on the
    /// session the context keeps open for it (the settings stay on that pooled connection: a verb's process ends with its
    /// one unit of work). Ctrl-C still cancels it.
    /// </summary>
    public static async Task LiftTimeoutsAsync(this IServiceProvider scope, CancellationToken cancellationToken)
    {
        var db = scope.GetRequiredService<ProvisioningDbContext>();
        db.Database.SetCommandTimeout(TimeSpan.Zero);
        await db.Database.OpenConnectionAsync(cancellationToken);
        await db.Database.ExecuteSqlRawAsync("SET statement_timeout = 0; SET lock_timeout = 0", cancellationToken);
    }

    /// <summary>
    /// Opens a connection on <c>ConnectionStrings:ProvisioningSession</c> once, when it is set, so that a refusal there is said
    /// at start-up naming that setting (not by the listener's retries, nor as the migrations' lock failing).
    /// </summary>
    public static async Task CheckSessionConnectionAsync(this IServiceProvider services, IConfiguration configuration, CancellationToken cancellationToken)
    {
        if (SessionConnectionStringOrNull(configuration) is null)
        {
            return;
        }

        await using var connection = DataSources.CreateUnpooledConnection(services.GetRequiredService<SessionConnectionString>().Value);
        await connection.OpenAsync(cancellationToken);
    }

    /// <summary>Applies pending migrations.</summary>
    public static async Task MigrateDatabaseAsync(this IServiceProvider services, CancellationToken cancellationToken = default)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ProvisioningDbContext>();
        var logger = MigrationsLogger(scope.ServiceProvider);
        await EnsureDatabaseExistsAsync(db, cancellationToken);
        // Nothing pending: no lock to take. A history another process holds: a migration is running, waited for below.
        var first = await MigrationHistory.ReadUnlessMigratingAsync(db, cancellationToken);
        if (first is not null && !Report(first, logger))
        {
            return;
        }

        // One process migrates at a time, all of its migrations under one lock of ours (two processes starting on an empty
        // database once both applied the first ones, one then failing on "column … already exists"). Whoever waited for it
        // finds them applied and does nothing.
        await using (var migrating = await WaitForMigrationsAsync(scope.ServiceProvider, logger, cancellationToken))
        {
            var state = await ReadHistoryWhenFreeAsync(db, logger, cancellationToken);
            if (first is null)
            {
                Report(state, logger);
            }

            var pending = state.Pending;
            if (pending.Count > 0)
            {
                logger.LogInformation("Applying {Count} migration(s): {Migrations}", pending.Count, string.Join(", ", pending));

                // No command timeout: a migration (an index built over a large table) may take longer than Npgsql's 30 s,
                // and cut short it would fail every start the same way.
                db.Database.SetCommandTimeout(TimeSpan.Zero);
                await db.Database.OpenConnectionAsync(cancellationToken); // (the session EF migrates on: watched below)
                using var watching = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var watch = Task.CompletedTask;
                try
                {
                    // The server's own process id, asked: behind PgBouncer the connection's ProcessID is one PgBouncer made up
                    // (a probe), and the watch then never found what the migrations wait for. Not through a pooler in
                    // transaction mode: the next transaction's server session may be another, whose waits it would name.
                    if (!scope.ServiceProvider.GetRequiredService<DatabaseConnectionString>().TransactionPooled)
                    {
                        await using var backend = new Npgsql.NpgsqlCommand("SELECT pg_backend_pid()", (Npgsql.NpgsqlConnection)db.Database.GetDbConnection());
                        var session = (int)(await backend.ExecuteScalarAsync(cancellationToken))!;
                        watch = SayWhatMigrationsWaitForAsync(scope.ServiceProvider.GetRequiredService<Npgsql.NpgsqlDataSource>(), session, logger, watching.Token);
                    }

                    await MigrateRetryingConflictsAsync(db, logger, cancellationToken);
                }
                finally
                {
                    await watching.CancelAsync();
                    await watch;
                    // Closed by hand, as it was opened: a context goes back to its pool with the connection as it is, and the
                    // next request's would have run on this session of the old defaults (a test of the revocation barrier,
                    // whose connection interceptor never saw an open, found it).
                    await db.Database.CloseConnectionAsync();
                }
            }
            else if (!migrating.Waited)
            {
                return;
            }
        }

        // Connections opened before the migrations (this process's or the one it waited for) keep the session defaults
        // they started with (a migration may change the role's, as CustomPlansForThisRole and TenantSpreadForGenericPlans
        // do): the pool starts afresh.
        scope.ServiceProvider.GetRequiredService<Npgsql.NpgsqlDataSource>().Clear();
    }

    /// <summary>How many times the migrations are applied when PostgreSQL rolls one back as a conflict (<see cref="MigrateRetryingConflictsAsync"/>).</summary>
    private const int MigrationAttempts = 5;

    /// <summary>
    /// Applies the pending migrations; one that PostgreSQL rolled back as a conflict (a deadlock with sessions that lock the
    /// tables it changes in another order, chosen as the one to fail) is applied again, as PostgreSQL's documentation
    /// prescribes, up to <see cref="MigrationAttempts"/> times, 1, 2, 3 and 4 s apart: each migration commits on its own, so
    /// what is applied again is the one rolled back and those after it. Before, the start or <c>migrate</c> failed and an
    /// operator had to run it again. (How a migration that changes rows the requests write avoids deadlocks in the first
    /// place: docs/architecture.md, "A new migration".)
    /// </summary>
    private static async Task MigrateRetryingConflictsAsync(ProvisioningDbContext db, ILogger logger, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await db.Database.MigrateAsync(cancellationToken);
                return;
            }
            catch (Exception e) when (attempt < MigrationAttempts && TransientConflict.Find(e) is { } conflict)
            {
                logger.LogWarning(
                    "PostgreSQL rolled a migration back as a conflict with another session ({SqlState}: {Reason}); the migrations " +
                    "before it are in, the rest are applied again in {Pause} s (attempt {Next} of {Attempts})",
                    conflict.SqlState, conflict.MessageText, attempt, attempt + 1, MigrationAttempts);
                // A pause that grows, so that what the other side was doing can finish (at once, an upgrade probe's five
                // attempts met the same stream of deletions within 8 s).
                await Task.Delay(TimeSpan.FromSeconds(attempt), cancellationToken);
            }
        }
    }

    /// <summary>
    /// While migrations run, who they wait for, said when it changes (every 5 s at most): a migration that waits for a table
    /// another session holds (a <c>delete-tenant</c>, an open <c>psql</c>, a <c>pg_dump</c>) said nothing but "Applying …"
    /// for minutes, which looked like a hang (a probe). Only said: a failure of the question ends the watch, not the migrations.
    /// </summary>
    private static async Task SayWhatMigrationsWaitForAsync(Npgsql.NpgsqlDataSource pool, int migrating, ILogger logger, CancellationToken cancellationToken)
    {
        var said = string.Empty;
        try
        {
            while (true)
            {
                await Task.Delay(TimeSpan.FromSeconds(5), cancellationToken);
                await using var connection = await pool.OpenConnectionAsync(cancellationToken);
                await using var command = new Npgsql.NpgsqlCommand(LockHolders.BlockingSql, connection) { Parameters = { new() { Value = migrating } } };
                var holders = (string?)await command.ExecuteScalarAsync(cancellationToken) ?? string.Empty;
                if (holders.Length > 0 && holders != said)
                {
                    logger.LogWarning(
                        "The migrations wait for a lock held by {Holders}: they go on once it is released (a transaction that ends, or " +
                        "a session ended with pg_terminate_backend)", holders);
                }

                said = holders;
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException)
        {
            logger.LogDebug("The migrations' wait is no longer watched ({Error})", e.GetType().Name);
        }
    }

    /// <summary>Advisory lock key a migrating process holds for all of its migrations.</summary>
    private const long MigrationLock = 0x5052_4F56_4D49_4752; // "PROVMIGR"
}
