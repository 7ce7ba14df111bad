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
        services.AddSingleton<SessionDefaults>();
        services.AddSingleton(sp =>
        {
            // Not for an operator verb's process (no StaleSessions runs there) nor behind a transaction pooler.
            var pooled = sp.GetRequiredService<DatabaseConnectionString>();
            var compared = !pooled.TransactionPooled && sp.GetRequiredService<ServiceInstance>().Verb is null;
            return BuildDataSource(pooled.Value, compared ? sp.GetRequiredService<SessionDefaults>() : null);
        });
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
            // At most a century: past about 2,000 years the pruner's cutoff fell before year 1 and every pass failed (a probe).
            .Validate(o => o.IdempotencyRetentionHours is >= Retention.RetentionOptions.MinIdempotencyRetentionHours and <= Retention.RetentionOptions.MaxRetentionDays * 24,
                $"{Retention.RetentionOptions.IdempotencyRetentionHoursSetting} must be between {Retention.RetentionOptions.MinIdempotencyRetentionHours} " +
                $"(retries are honoured for at least a day) and {Retention.RetentionOptions.MaxRetentionDays * 24} (a century).")
            .Validate(o => o.AuditRetentionDays is >= 1 and <= Retention.RetentionOptions.MaxRetentionDays,
                $"{Retention.RetentionOptions.AuditRetentionDaysSetting} must be between 1 and {Retention.RetentionOptions.MaxRetentionDays} (a century).")
            .Validate(o => o.IntervalMinutes is >= 1 and <= 1440, $"{Retention.RetentionOptions.IntervalMinutesSetting} must be between 1 and 1440.")
            .ValidateOnStart();
        services.AddSingleton<Retention.RetentionPruner>();
        services.AddSingleton<DatabaseClock>();
        services.AddHostedService(sp => sp.GetRequiredService<Retention.RetentionPruner>());
        services.AddSingleton<OffsetAnchors>();
        services.AddScoped<ITenantAppPages, TenantAppPages>();
        services.AddScoped<ITenantServiceAccountPages, TenantServiceAccountPages>();
        services.AddScoped<ITenantViewReads, TenantViewReads>();

        services.AddSingleton(sp =>
        {
            var protector = new AesGcmSecretProtector(MasterKey(configuration, environment), PreviousMasterKeys(configuration));
            sp.GetRequiredService<Application.Common.Metrics.ServiceMetrics>().ObserveMasterKey(() => protector.Retirement.IsRetired);
            return protector;
        });
        services.AddSingleton<ISecretProtector>(sp => sp.GetRequiredService<AesGcmSecretProtector>());
        services.AddScoped<SecretRotation>();
        services.AddScoped<Audit.AddressErasure>();
        services.AddSingleton<IDatabaseFaults, DatabaseFaults>();
        services.AddSingleton<StaleSessions>();
        services.AddHostedService(sp => sp.GetRequiredService<StaleSessions>());
        services.AddSingleton<LockWaits>();
        services.AddSingleton<ISecretHasher, SecretHasher>();
        services.AddSingleton<ISecretGenerator, SecretGenerator>();
        services.AddOptions<JwtOptions>().Bind(configuration.GetSection(JwtOptions.Section))
            .Validate(o => o.Lifetime >= TimeSpan.FromSeconds(1) && o.Lifetime <= TimeSpan.FromDays(30), "Provisioning:Jwt:Lifetime must be between 1 second and 30 days, as hh:mm:ss or d.hh:mm:ss (a bare number is days: 3600 is 3600 days).")
            .ValidateOnStart();
        services.AddSingleton<ITokenIssuer, JwtTokenIssuer>();

        services.TryAddTimeProvider();
        services.AddMemoryCache(o => o.SizeLimit = 100_000);
        services.AddOptions<CredentialLookupOptions>().Bind(configuration.GetSection(CredentialLookupOptions.Section))
            .Validate(o => o.ConcurrentLookups is >= 1 and <= CredentialLookupOptions.MaxConcurrentLookups,
                $"{CredentialLookupOptions.ConcurrentLookupsSetting} must be between 1 and {CredentialLookupOptions.MaxConcurrentLookups}.")
            .ValidateOnStart();
        services.AddSingleton<CredentialLookups>();
        services.AddSingleton(sp =>
        {
            var store = ActivatorUtilities.CreateInstance<CachedCredentialStore>(sp);
            sp.GetRequiredService<Application.Common.Metrics.ServiceMetrics>().ObserveCredentialCache(() => store.IsListening);
            return store;
        });
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
        return [.. ListSetting.Entries(configuration, SecretsOptions.PreviousMasterKeysSetting)
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
    /// piece of the password when an unquoted one holds a ';' ("Couldn't set topsecretpart"). What is named instead is
    /// only ever Npgsql's own: the keyword an unknown one is a slip of (<see cref="Domain.Common.Spelling"/>: <c>Hots</c>
    /// is Host), or a known keyword whose value Npgsql cannot take — no word or value of the string as written, though the
    /// keyword named may stand in an unquoted password that holds ";Timeout=zz" (a review: a leak of that much, no more).
    /// </summary>
    public static string InvalidConnectionString(string setting = ConnectionStringName, string? connectionString = null) =>
        "ConnectionStrings:" + setting + " is not a valid PostgreSQL connection string: " +
        ((connectionString is null ? null : WhatNpgsqlRefuses(connectionString)) ?? "a keyword Npgsql does not know, or a value of the wrong type") +
        " (a value holding ';' or '=', such as a password, must be in double quotes).";

    private static string? WhatNpgsqlRefuses(string connectionString)
    {
        System.Data.Common.DbConnectionStringBuilder given;
        try
        {
            given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        }
        catch (ArgumentException)
        {
            return null; // its shape: a part without '=', a quote not closed
        }

        var npgsql = new Npgsql.NpgsqlConnectionStringBuilder();
        // Every keyword by Npgsql's own name ("SSL Mode"; its Keys hold only those set); the string's come lower-cased.
        var keywords = typeof(Npgsql.NpgsqlConnectionStringBuilder).GetProperties()
            .Select(p => p.GetCustomAttributes(typeof(System.ComponentModel.DisplayNameAttribute), false)
                .OfType<System.ComponentModel.DisplayNameAttribute>().FirstOrDefault()?.DisplayName)
            .OfType<string>()
            .ToList();
        foreach (string keyword in given.Keys)
        {
            if (!npgsql.ContainsKey(keyword))
            {
                return Domain.Common.Spelling.Nearest(keyword, keywords) is { } meant
                    ? $"a keyword Npgsql does not know (did you mean {meant}?)"
                    : "a keyword Npgsql does not know";
            }

            try
            {
                npgsql[keyword] = given[keyword];
            }
            catch (Exception e) when (e is ArgumentException or FormatException or OverflowException or InvalidCastException)
            {
                var named = keywords.FirstOrDefault(k => Domain.Common.Spelling.Edits(keyword, k) == 0)
                            ?? keyword; // a synonym Npgsql knows ("server"), lower-cased
                return $"the value of {named} is not one Npgsql takes " +
                       "(a whole number, true or false, or one of its named values: npgsql.org, \"Connection String Parameters\")";
            }
        }

        return null;
    }

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
    /// once on each new connection, and the role's and database's settings it logged in with recorded (<see cref="SessionDefaults"/>;
    /// not through a pooler in transaction mode, whose server sessions the service does not compare).
    /// </summary>
    private static Npgsql.NpgsqlDataSource BuildDataSource(string connectionString, SessionDefaults? defaults) =>
        new Npgsql.NpgsqlDataSourceBuilder(connectionString) { Name = DataSources.NameOf(connectionString) }
            .LeavingOutPolls()
            // Untraced (UntracedCommands): a new session's own statements went into the trace of whatever opened it, a
            // background flush's as a one-span trace (a flaky test found the settings' question there).
            .UsePhysicalConnectionInitializer(
                connection => UntracedCommands.Run(() =>
                {
                    using (var command = SessionSettingsCommand(connection))
                    {
                        command.ExecuteNonQuery();
                    }

                    SetClientCheck(connection);
                    defaults?.Record(connection);
                    return true;
                }),
                connection => UntracedCommands.RunAsync(async () =>
                {
                    await using (var command = SessionSettingsCommand(connection))
                    {
                        await command.ExecuteNonQueryAsync();
                    }

                    await SetClientCheckAsync(connection);
                    if (defaults is not null)
                    {
                        await defaults.RecordAsync(connection);
                    }

                    return true;
                }))
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
            throw new InvalidSettingException(InvalidConnectionString(name, connectionString), e);
        }

        // What Npgsql takes here and fails on at the first connection with a stack trace (a probe of every setting
        // misconfigured): a port past 65535 (0 and below it refuses itself), and no host (Npgsql reads no PGHOST).
        if (builder.Port > 65535)
        {
            throw new InvalidSettingException($"ConnectionStrings:{name}'s Port must be 1–65535; it is {builder.Port}.");
        }

        // Maximum Pool Size=0 made every request wait out the connection timeout (read as "PostgreSQL cannot be reached");
        // a minimum over the maximum failed at the first connection with a stack trace.
        if (builder.Pooling && builder.MaxPoolSize < 1)
        {
            throw new InvalidSettingException($"ConnectionStrings:{name}'s Maximum Pool Size must be at least 1; it is {builder.MaxPoolSize}.");
        }

        if (builder.Pooling && builder.MinPoolSize > builder.MaxPoolSize)
        {
            throw new InvalidSettingException(
                $"ConnectionStrings:{name}'s Minimum Pool Size ({builder.MinPoolSize}) is over its Maximum Pool Size ({builder.MaxPoolSize}).");
        }

        if (string.IsNullOrWhiteSpace(builder.Host))
        {
            throw new InvalidSettingException($"ConnectionStrings:{name} names no Host: give the server's name or address (Host=127.0.0.1), " +
                                              "or the folder of its Unix socket (Host=/var/run/postgresql).");
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
}
