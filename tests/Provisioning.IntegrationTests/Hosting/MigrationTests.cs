using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql;
using Provisioning.Application.Common.Exceptions;
using Provisioning.Domain.Common;
using Provisioning.Domain.ServiceAccounts;
using Provisioning.Infrastructure.Persistence;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Hosting;

/// <summary>Migrations applied to a database with data in it, as an upgrade meets them.</summary>
[Collection(ServiceTestCollection.Name)]
public sealed class MigrationTests(ServiceFixture service)
{
    /// <summary>The root tenant of the databases below (<see cref="RootTenantSql"/>), and a child of it (<see cref="RootAndChildSql"/>).</summary>
    private const string Root = "aaaaaaaaaaaaaaaaaaaaaaaa";
    private const string Child = "bbbbbbbbbbbbbbbbbbbbbbbb";

    /// <summary>The root tenant of the databases below, written as an older release left it.</summary>
    private const string RootTenantSql = $"""
        INSERT INTO tenants (id, name, parent_id, path, contacts, own_settings, created_at, status)
        VALUES ('{Root}', 'Root', NULL, ARRAY['{Root}'], 10000, '{"{}"}', now(), 'active');

        """;

    /// <summary>The root and a child of it (<see cref="Child"/>), as an older release left them.</summary>
    private const string RootAndChildSql = RootTenantSql + $"""
        INSERT INTO tenants (id, name, parent_id, path, contacts, own_settings, created_at, status)
        VALUES ('{Child}', 'Child', '{Root}', ARRAY['{Root}', '{Child}'], 10, '{"{}"}', now(), 'active');

        """;

    /// <summary>A service account of the root granted every app there is.</summary>
    private const string OneAccountOfTheRootGrantedEveryAppSql = $"""
        INSERT INTO service_accounts (id, tenant_id, display_name, normalized_name, created_at)
        VALUES ('s00000000000000000000001', '{Root}', 'One', 'ONE', now());
        INSERT INTO app_grants (service_account_id, app_id, created_at) SELECT 's00000000000000000000001', id, now() FROM apps;
        """;

    /// <summary>
    /// Three accounts of the root an older build let in under one name (composed, decomposed, full-width first letter),
    /// oldest first: the migration to the collation keeps the first's key and suffixes the others'.
    /// </summary>
    private const string ThreeAccountsUnderOneNameSql = """
        INSERT INTO service_accounts (id, tenant_id, display_name, normalized_name, created_at) VALUES
            ('s00000000000000000000001', 'aaaaaaaaaaaaaaaaaaaaaaaa', U&'Caf\00E9', U&'CAF\00C9', now() - interval '3 days'),
            ('s00000000000000000000002', 'aaaaaaaaaaaaaaaaaaaaaaaa', U&'Cafe\0301', U&'CAFE\0301', now() - interval '2 days'),
            ('s00000000000000000000003', 'aaaaaaaaaaaaaaaaaaaaaaaa', U&'\FF23AF\00C9', U&'\FF23AF\00C9', now() - interval '1 day');
        """;

    /// <summary>
    /// A session of the test's own on a database: what it sends runs there in turn (so temporary tables and functions stay);
    /// <see cref="ScalarAsync"/> gives the first column of the first row as invariant text.
    /// </summary>
    private sealed class Session(NpgsqlConnection connection) : IAsyncDisposable
    {
        public static async Task<Session> OpenAsync(string connectionString)
        {
            var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            return new Session(connection);
        }

        public async Task<string> ScalarAsync(string sql)
        {
            await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = Sql.SeedTimeoutSeconds };
            return Convert.ToString(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture)!;
        }

        public ValueTask DisposeAsync() => connection.DisposeAsync();
    }

    /// <summary>Whether the tests' PostgreSQL has ICU (its locales, and the heir trigger, which only such a server has).</summary>
    private async Task<bool> HasIcuAsync() =>
        await Sql.CountAsync(service.Postgres.ConnectionString, "SELECT count(*)::int FROM pg_collation WHERE collprovider = 'i'") > 0;

    /// <summary>A new database with the migrations up to <paramref name="migration"/> applied, as an older release left it.</summary>
    private async Task<(string ConnectionString, DbContextOptions<ProvisioningDbContext> Options)> DatabaseMigratedToAsync(string migration, string? locale = null)
    {
        var connectionString = await service.Postgres.CreateDatabaseAsync("migrate_" + Guid.NewGuid().ToString("N")[..8], locale);
        var options = new DbContextOptionsBuilder<ProvisioningDbContext>().UseNpgsql(connectionString).UseSnakeCaseNamingConvention().Options;
        await using var db = new ProvisioningDbContext(options);
        await db.GetService<IMigrator>().MigrateAsync(migration);
        return (connectionString, options);
    }

    [Fact]
    public async Task AMigrationWaitingForALock_SaysWhoHoldsIt_AndGoesOnOnceItIsReleased()
    {
        // A probe's migration waited minutes behind a transaction on api_keys, saying nothing after "Applying …": it looked
        // like a hang. SecretsUnderRetiredKeysRefused creates a trigger on api_keys, which waits for any writer of that table.
        var (database, _) = await DatabaseMigratedToAsync("20261204021000_AppDeletionsCountedPerStatement");
        await using var blocker = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(database) { ApplicationName = "test blocker", Pooling = false }.ConnectionString);
        await blocker.OpenAsync();
        await using (var hold = new NpgsqlCommand("BEGIN; LOCK TABLE api_keys IN ROW EXCLUSIVE MODE", blocker))
        {
            await hold.ExecuteNonQueryAsync();
        }

        var logs = new CollectingLoggerProvider();
        await using var starting = new ConfiguredServiceFactory(database, ServiceFixture.RootKeySettings(),
            services: s => Microsoft.Extensions.DependencyInjection.ServiceCollectionServiceExtensions.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(s, logs));
        var start = Task.Run(starting.CreateClient);
        var said = $"The migrations wait for a lock held by PostgreSQL process {blocker.ProcessID}, application_name 'test blocker'";
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!logs.Lines.Any(l => l.Contains(said, StringComparison.Ordinal)) && !start.IsCompleted && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.False(start.IsCompleted, "the start went on while its migration was blocked: " + start.Exception?.GetBaseException().Message);
        Assert.Contains(logs.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains(said, StringComparison.Ordinal));
        await blocker.CloseAsync();
        using var client = await start;
        Assert.Equal(System.Net.HttpStatusCode.OK, (await client.GetAsync("/readyz")).StatusCode);
    }

    [Fact]
    public async Task AMigrationRolledBackAsADeadlock_IsAppliedAgain_AndTheStartGoesOn()
    {
        // GrantsAcrossTenantsRemoved deletes from app_grants (taking its lock), and its trigger then writes
        // service_account_grant_versions. A session holding the second and then asking for the first closes a cycle, and
        // PostgreSQL fails the migration. A waiting session looks for a cycle once, deadlock_timeout after its wait began:
        // the migration's 10 s (its database's setting), so that the blocker's request is in by then however busy the host
        // (at the default 1 s a review's delay of 1.5 s left no cycle to find), the blocker's a minute, so it is never the one
        // to fail. Before, the start failed with 40P01 and an operator had to start it again.
        var (database, options) = await DatabaseMigratedToAsync("20261205110000_SuffixedHeirsIndexUsable");
        await Sql.ExecuteAsync(database, RootAndChildSql + Sql.InsertAppsSql($"VALUES ('{Child}')", 1) + ";" + OneAccountOfTheRootGrantedEveryAppSql);
        await using (var db = new ProvisioningDbContext(options))
        {
            await db.GetService<IMigrator>().MigrateAsync("20261205170000_ServiceAccountGrantVersions");
        }

        await Sql.ExecuteAsync(database, $"ALTER DATABASE \"{new NpgsqlConnectionStringBuilder(database).Database}\" SET deadlock_timeout = '10s'");
        await using var blocker = await HeldRow.BeginAsync(database);
        await blocker.ExecuteAsync("SET LOCAL deadlock_timeout = '1min'; LOCK TABLE service_account_grant_versions IN EXCLUSIVE MODE");
        var logs = new CollectingLoggerProvider();
        await using var starting = new ConfiguredServiceFactory(database, ServiceFixture.RootKeySettings(),
            services: s => Microsoft.Extensions.DependencyInjection.ServiceCollectionServiceExtensions.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(s, logs));
        var start = Task.Run(starting.CreateClient);
        await blocker.UntilWaitingAsync(1, within: TimeSpan.FromSeconds(60)); // the migration, holding app_grants
        await blocker.ExecuteAsync("LOCK TABLE app_grants IN EXCLUSIVE MODE"); // granted once the migration is rolled back
        Assert.Equal(1, await Sql.CountAsync(database, "SELECT count(*) FROM app_grants"));
        Assert.False(start.IsCompleted, "the start went on past a migration it had not applied: " + start.Exception?.GetBaseException().Message);
        await blocker.ReleaseAsync();

        using var client = await start;
        Assert.Equal(System.Net.HttpStatusCode.OK, (await client.GetAsync("/readyz")).StatusCode);
        Assert.Contains(logs.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal)
            && l.Contains("PostgreSQL rolled a migration back as a conflict with another session (40P01: deadlock detected)", StringComparison.Ordinal)
            && l.Contains("the rest are applied again in 1 s (attempt 2 of 5)", StringComparison.Ordinal));
        Assert.Equal(0, await Sql.CountAsync(database, "SELECT count(*) FROM app_grants"));
        Assert.Equal(1, await Sql.CountAsync(database,
            "SELECT count(*) FROM \"__EFMigrationsHistory\" WHERE migration_id = '20261205193000_GrantsAcrossTenantsRemoved'"));
    }

    [Fact]
    public async Task FrontDoor_GivesExistingAppsDistinctTokens_AndRowsWrittenWithoutOneGetOne()
    {
        var (connectionString, options) = await DatabaseMigratedToAsync("20261123045903_InitialSchema");

        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            await using var insert = new NpgsqlCommand(
                """
                INSERT INTO tenants (id, name, parent_id, path, contacts, own_settings, created_at)
                VALUES ('aaaaaaaaaaaaaaaaaaaaaaaa', 'Root', NULL, ARRAY['aaaaaaaaaaaaaaaaaaaaaaaa'], 10000, '{}', now());
                INSERT INTO apps (id, tenant_id, display_name, created_at, settings_app_localization_enabled, settings_conversation_retention_seconds,
                                  settings_echo_postback, settings_ignore_auto_conversation_start, settings_mask_credit_card_numbers,
                                  settings_multi_convo_enabled, settings_use_animal_names)
                SELECT lpad(to_hex(n), 24, '0'), 'aaaaaaaaaaaaaaaaaaaaaaaa', 'old ' || n, now(), true, 0, false, false, true, false, false
                FROM generate_series(1, 50) AS n;
                """, connection);
            await insert.ExecuteNonQueryAsync();
        }

        await using (var db = new ProvisioningDbContext(options))
        {
            await db.Database.MigrateAsync();
            var tokens = await db.Apps.Select(a => a.AppToken).ToListAsync();
            Assert.Equal(50, tokens.Count);
            Assert.Equal(50, tokens.Distinct().Count());
            Assert.All(tokens, t => Assert.Matches("^[0-9a-z]{25}$", t));

            // An older instance (rolling upgrade) inserting without the column still makes a unique token.
            await db.Database.ExecuteSqlRawAsync(
                """
                INSERT INTO apps (id, tenant_id, display_name, created_at, settings_app_localization_enabled, settings_conversation_retention_seconds,
                                  settings_echo_postback, settings_ignore_auto_conversation_start, settings_mask_credit_card_numbers,
                                  settings_multi_convo_enabled, settings_use_animal_names, settings_end_session_enabled, settings_disable_conversation_reopen)
                VALUES ('bbbbbbbbbbbbbbbbbbbbbbbb', 'aaaaaaaaaaaaaaaaaaaaaaaa', 'older instance', now(), true, 0, false, false, true, false, false, false, false)
                """);
            Assert.Equal(51, await db.Apps.Select(a => a.AppToken).Distinct().CountAsync());
        }

        await service.Postgres.DropDatabaseAsync(new NpgsqlConnectionStringBuilder(connectionString).Database!);
    }

    [Fact]
    public async Task CanonicalServiceAccountNames_KeepsAccountsNamedTwiceBefore_AndRefusesTheNameFromThenOn()
    {
        var (connectionString, options) = await DatabaseMigratedToAsync("20261202233000_RetiredMasterKeys");

        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            // "CAFÉ" composed (the first), decomposed (a second an older build let in), and an unrelated name.
            await using var insert = new NpgsqlCommand(
                RootTenantSql + """
                INSERT INTO service_accounts (id, tenant_id, display_name, normalized_name, created_at) VALUES
                    ('s00000000000000000000001', 'aaaaaaaaaaaaaaaaaaaaaaaa', U&'Caf\00E9', U&'CAF\00C9', now() - interval '2 days'),
                    ('s00000000000000000000002', 'aaaaaaaaaaaaaaaaaaaaaaaa', U&'Cafe\0301', U&'CAFE\0301', now() - interval '1 day'),
                    ('s00000000000000000000003', 'aaaaaaaaaaaaaaaaaaaaaaaa', 'Other', 'OTHER', now());
                """, connection);
            await insert.ExecuteNonQueryAsync();
        }

        await using (var db = new ProvisioningDbContext(options))
        {
            await db.Database.MigrateAsync();
            var accounts = await db.ServiceAccounts.OrderBy(s => s.CreatedAt).ToListAsync();
            Assert.Equal(["Caf\u00e9", "Cafe\u0301", "Other"], accounts.Select(s => s.DisplayName));
            Assert.Equal(["CAF\u00c9", "CAFE\u0301 s00000000000000000000002", "OTHER"], accounts.Select(s => s.NormalizedName));

            // From now on the name is taken in either form.
            db.ServiceAccounts.Add(ServiceAccount.Create(new TenantId("aaaaaaaaaaaaaaaaaaaaaaaa"), "CAFE\u0301", DateTimeOffset.UtcNow));
            await Assert.ThrowsAsync<ConflictException>(() => db.SaveChangesAsync());
        }

        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            // A key written uncomposed by hand, or by an older instance during a rolling upgrade: the index refuses it too.
            await using var older = new NpgsqlCommand(
                "INSERT INTO service_accounts (id, tenant_id, display_name, normalized_name, created_at) VALUES ('s00000000000000000000004', 'aaaaaaaaaaaaaaaaaaaaaaaa', U&'cafe\\0301', U&'CAFE\\0301', now())",
                connection);
            var refused = await Assert.ThrowsAsync<PostgresException>(() => older.ExecuteNonQueryAsync());
            Assert.Equal(PostgresErrorCodes.UniqueViolation, refused.SqlState);
        }

        await service.Postgres.DropDatabaseAsync(new NpgsqlConnectionStringBuilder(connectionString).Database!);
    }

    [Fact]
    public async Task AnAccountWhoseKeyWasSuffixed_GetsItsKeyBack_WhenTheAccountKeepingTheNameIsRenamedOrDeleted()
    {
        // Three accounts an older build let in under one name: the later two's keys were suffixed. Renaming or deleting
        // the one keeping the name made it free while the others still showed it (an upgrade probe: a fourth was made).
        var (connectionString, options) = await DatabaseMigratedToAsync("20261202233000_RetiredMasterKeys");
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            await using var insert = new NpgsqlCommand(RootTenantSql + ThreeAccountsUnderOneNameSql, connection);
            await insert.ExecuteNonQueryAsync();
        }

        var tenant = new TenantId("aaaaaaaaaaaaaaaaaaaaaaaa");
        await using (var db = new ProvisioningDbContext(options))
        {
            await db.Database.MigrateAsync();
            Assert.Equal(["CAF\u00c9", "CAFE\u0301 s00000000000000000000002", "\uFF23AF\u00c9 s00000000000000000000003"], await KeysAsync(db));

            // The first is renamed: the earliest of the others holds the name now, and a new account cannot take it.
            (await db.ServiceAccounts.SingleAsync(s => s.Id == new ServiceAccountId("s00000000000000000000001"))).Rename("Tea");
            await db.SaveChangesAsync();
            Assert.Equal(["TEA", "CAFE\u0301", "\uFF23AF\u00c9 s00000000000000000000003"], await KeysAsync(db));
            db.ServiceAccounts.Add(ServiceAccount.Create(tenant, "Caf\u00e9", DateTimeOffset.UtcNow));
            await Assert.ThrowsAsync<ConflictException>(() => db.SaveChangesAsync());
        }

        await using (var db = new ProvisioningDbContext(options))
        {
            // That one is deleted: the last holds it.
            db.ServiceAccounts.Remove(await db.ServiceAccounts.SingleAsync(s => s.Id == new ServiceAccountId("s00000000000000000000002")));
            await db.SaveChangesAsync();
            Assert.Equal(["TEA", "\uFF23AF\u00c9"], await KeysAsync(db));
            db.ServiceAccounts.Add(ServiceAccount.Create(tenant, "CAFE\u0301", DateTimeOffset.UtcNow));
            await Assert.ThrowsAsync<ConflictException>(() => db.SaveChangesAsync());
        }

        await using (var db = new ProvisioningDbContext(options))
        {
            // And with none left showing it, the name is free.
            db.ServiceAccounts.Remove(await db.ServiceAccounts.SingleAsync(s => s.Id == new ServiceAccountId("s00000000000000000000003")));
            await db.SaveChangesAsync();
            db.ServiceAccounts.Add(ServiceAccount.Create(tenant, "Caf\u00e9", DateTimeOffset.UtcNow));
            await db.SaveChangesAsync();
            Assert.Equal(["TEA", "CAF\u00c9"], await KeysAsync(db));
        }

        await service.Postgres.DropDatabaseAsync(new NpgsqlConnectionStringBuilder(connectionString).Database!);

        static Task<List<string>> KeysAsync(ProvisioningDbContext db) =>
            db.ServiceAccounts.AsNoTracking().OrderBy(s => s.CreatedAt).Select(s => s.NormalizedName).ToListAsync();
    }

    [Theory]
    // Turkish: upper("fix") is "FİX" there, a dotted İ that the canonical collation tells from "FIX".
    [InlineData("tr", "Caf\u00e9 fix", "Cafe\u0301 fix", "\uFF23af\u00e9 fix")]
    // Greek: upper() drops the accent ("ΚΑΦΕΣ"), which the canonical collation counts.
    [InlineData("el", "\u03ba\u03b1\u03c6\u03ad\u03c2", "\u03ba\u03b1\u03c6\u03b5\u0301\u03c2", null)]
    // Any ICU locale: upper() makes ß "SS", which the service (and the collation) tell from ß.
    [InlineData("und", "Gr\u00fc\u00dfe", "Gru\u0308\u00dfe", null)]
    public async Task InADatabaseOfAnyLocale_ASuffixedAccountGetsItsKeyBack_AndOnesTheOldTriggerMissedGetItAtTheUpgrade(
        string icuLocale, string holder, string heir, string? next)
    {
        // The heir's key was made with PostgreSQL's upper(), which follows the database's locale: in these, no heir was
        // found, and a third account was made under a name the tenant still showed (a probe of locales).
        if (!await HasIcuAsync())
        {
            return; // PostgreSQL without ICU: no such locale, and no heir trigger (SuffixedNamesGetTheirKeyBack)
        }

        var (connectionString, options) = await DatabaseMigratedToAsync("20261202233000_RetiredMasterKeys",
            $"TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE '{icuLocale}' LOCALE 'C.UTF-8'");
        string[] names = next is null ? [holder, heir] : [holder, heir, next];
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            await using var insert = new NpgsqlCommand(RootTenantSql + string.Concat(names.Select((name, i) => $"""
                INSERT INTO service_accounts (id, tenant_id, display_name, normalized_name, created_at)
                VALUES ('s0000000000000000000000{i + 1}', 'aaaaaaaaaaaaaaaaaaaaaaaa', @name{i}, @key{i}, now() - interval '{3 - i} days');
                """)), connection);
            for (var i = 0; i < names.Length; i++)
            {
                insert.Parameters.AddWithValue($"name{i}", names[i]);
                insert.Parameters.AddWithValue($"key{i}", ServiceAccount.Create(new TenantId(Root), names[i], DateTimeOffset.UtcNow).NormalizedName);
            }

            await insert.ExecuteNonQueryAsync();
        }

        var tenant = new TenantId(Root);
        await using (var db = new ProvisioningDbContext(options))
        {
            // As the previous release leaves it: the later accounts suffixed, and the holder's deletion finds no heir.
            await db.GetService<IMigrator>().MigrateAsync("20261207141500_SuspensionsHeldByTheirSender");
            db.ServiceAccounts.Remove(await db.ServiceAccounts.SingleAsync(s => s.Id == new ServiceAccountId("s00000000000000000000001")));
            await db.SaveChangesAsync();
            Assert.All(await KeysAsync(db), key => Assert.Matches(" s0000000000000000000000[23]$", key));
        }

        await using (var db = new ProvisioningDbContext(options))
        {
            // The upgrade gives the earliest its key, so the name cannot be taken again.
            await db.Database.MigrateAsync();
            Assert.DoesNotMatch(" s00000000000000000000002$", (await KeysAsync(db))[0]);
            db.ServiceAccounts.Add(ServiceAccount.Create(tenant, holder, DateTimeOffset.UtcNow));
            await Assert.ThrowsAsync<ConflictException>(() => db.SaveChangesAsync());
        }

        if (next is not null)
        {
            await using (var db = new ProvisioningDbContext(options))
            {
                // And the trigger gives the next one the name when that one goes.
                db.ServiceAccounts.Remove(await db.ServiceAccounts.SingleAsync(s => s.Id == new ServiceAccountId("s00000000000000000000002")));
                await db.SaveChangesAsync();
                Assert.DoesNotMatch(" s00000000000000000000003$", Assert.Single(await KeysAsync(db)));
                db.ServiceAccounts.Add(ServiceAccount.Create(tenant, heir, DateTimeOffset.UtcNow));
                await Assert.ThrowsAsync<ConflictException>(() => db.SaveChangesAsync());
            }
        }

        await service.Postgres.DropDatabaseAsync(new NpgsqlConnectionStringBuilder(connectionString).Database!);

        static Task<List<string>> KeysAsync(ProvisioningDbContext db) =>
            db.ServiceAccounts.AsNoTracking().OrderBy(s => s.CreatedAt).Select(s => s.NormalizedName).ToListAsync();
    }

    [Fact]
    public async Task AHolderDeletedByTheOldTriggerJustBeforeTheUpgrade_AndCommittedAfterIt_LeavesNoOrphan()
    {
        // The repair looked for orphans once, with no lock: a deletion that had run the old function, its transaction still
        // open, showed its holder until it committed, after the look (a rolling-upgrade probe: a third account then made).
        if (!await HasIcuAsync())
        {
            return; // PostgreSQL without ICU: no such locale, and no heir trigger (SuffixedNamesGetTheirKeyBack)
        }

        var (connectionString, options) = await DatabaseMigratedToAsync("20261202233000_RetiredMasterKeys",
            "TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'tr' LOCALE 'C.UTF-8'");
        string[] names = ["Caf\u00e9 fix", "Cafe\u0301 fix"];
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            await using var insert = new NpgsqlCommand(RootTenantSql + """
                INSERT INTO service_accounts (id, tenant_id, display_name, normalized_name, created_at) VALUES
                    ('s00000000000000000000001', 'aaaaaaaaaaaaaaaaaaaaaaaa', @name0, @key0, now() - interval '2 days'),
                    ('s00000000000000000000002', 'aaaaaaaaaaaaaaaaaaaaaaaa', @name1, @key1, now() - interval '1 day');
                """, connection);
            for (var i = 0; i < names.Length; i++)
            {
                insert.Parameters.AddWithValue($"name{i}", names[i]);
                insert.Parameters.AddWithValue($"key{i}", ServiceAccount.Create(new TenantId(Root), names[i], DateTimeOffset.UtcNow).NormalizedName);
            }

            await insert.ExecuteNonQueryAsync();
        }

        await using (var db = new ProvisioningDbContext(options))
        {
            await db.GetService<IMigrator>().MigrateAsync("20261207141500_SuspensionsHeldByTheirSender"); // the second suffixed
        }

        // The holder's deletion, by an old instance: the old function runs (and misses the heir), its transaction open.
        await using var deleting = await HeldRow.BeginAsync(connectionString);
        await deleting.ExecuteAsync("DELETE FROM service_accounts WHERE id = 's00000000000000000000001'");
        var upgrading = Task.Run(async () =>
        {
            await using var db = new ProvisioningDbContext(options);
            await db.Database.MigrateAsync();
        });
        await Task.Delay(TimeSpan.FromSeconds(2)); // the new function committed; the repair waits for this transaction
        Assert.False(upgrading.IsCompleted);
        await deleting.ReleaseAsync();
        await upgrading.WaitAsync(TimeSpan.FromSeconds(60));

        await using (var db = new ProvisioningDbContext(options))
        {
            Assert.DoesNotMatch(" s00000000000000000000002$", Assert.Single(await db.ServiceAccounts.AsNoTracking().Select(s => s.NormalizedName).ToListAsync()));
            db.ServiceAccounts.Add(ServiceAccount.Create(new TenantId(Root), names[0], DateTimeOffset.UtcNow));
            await Assert.ThrowsAsync<ConflictException>(() => db.SaveChangesAsync());
        }

        await service.Postgres.DropDatabaseAsync(new NpgsqlConnectionStringBuilder(connectionString).Database!);
    }

    [Theory]
    [InlineData("DELETE FROM service_accounts WHERE id = 's00000000000000000000002'")]
    [InlineData("UPDATE service_accounts SET display_name = 'Tea', normalized_name = 'TEA' WHERE id = 's00000000000000000000002'")]
    public async Task WhenTheNextHeirGoesWhileTheHolderGoes_TheOneAfterItGetsTheKey(string meanwhile)
    {
        // The holder's delete and the first suffixed account's delete (or rename) at once: the trigger chose the first from
        // its snapshot, waited for it, changed nothing, and the third kept its suffix, so the name counted as free (a probe:
        // a duplicate visible name made in 10 of 25 races).
        var (connectionString, options) = await DatabaseMigratedToAsync("20261202233000_RetiredMasterKeys");
        await Sql.ExecuteAsync(connectionString, RootTenantSql + ThreeAccountsUnderOneNameSql);
        await using (var db = new ProvisioningDbContext(options))
        {
            await db.Database.MigrateAsync();
        }

        await using var other = new NpgsqlConnection(connectionString);
        await other.OpenAsync();
        await using (var transaction = await other.BeginTransactionAsync())
        {
            await using (var change = new NpgsqlCommand(meanwhile, other, transaction))
            {
                await change.ExecuteNonQueryAsync();
            }

            var holderGoes = Sql.ExecuteAsync(connectionString, "DELETE FROM service_accounts WHERE id = 's00000000000000000000001'");
            var waiting = false;
            for (var i = 0; i < 400 && !waiting && !holderGoes.IsCompleted; i++)
            {
                await Task.Delay(25);
                waiting = await Sql.CountAsync(connectionString,
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> $1", other.ProcessID) > 0;
            }

            Assert.True(waiting, "The holder's delete never waited for the first heir: the race this test is about did not happen.");
            await transaction.CommitAsync();
            await holderGoes;
        }

        await using (var db = new ProvisioningDbContext(options))
        {
            var keys = await db.ServiceAccounts.AsNoTracking().OrderBy(s => s.CreatedAt).Select(s => s.NormalizedName).ToListAsync();
            Assert.Equal("\uFF23AF\u00c9", keys[^1]);
            db.ServiceAccounts.Add(ServiceAccount.Create(new TenantId("aaaaaaaaaaaaaaaaaaaaaaaa"), "caf\u00e9", DateTimeOffset.UtcNow));
            await Assert.ThrowsAsync<ConflictException>(() => db.SaveChangesAsync());
        }

        await service.Postgres.DropDatabaseAsync(new NpgsqlConnectionStringBuilder(connectionString).Database!);
    }

    [Fact]
    public async Task CanonicalCollationAsDeclared_RemakesACollationAnEarlyBuildLeft_AndKeepsAccountsItLetInTwice()
    {
        // Builds of 2026-12-03 10:42–12:19 created 'canonical' with ICU's plain root locale (case and width counted), and
        // the later edit of their migration did not reach a database they had migrated (CREATE COLLATION IF NOT EXISTS).
        var (connectionString, options) = await DatabaseMigratedToAsync("20261203131901_TenantScopedRevocation");
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            await using var early = new NpgsqlCommand(
                """
                ALTER TABLE service_accounts ALTER COLUMN normalized_name TYPE character varying(100) COLLATE "default";
                DROP COLLATION canonical;
                CREATE COLLATION canonical (provider = icu, locale = 'und', deterministic = false);
                ALTER TABLE service_accounts ALTER COLUMN normalized_name TYPE character varying(100) COLLATE canonical;

                """ + RootTenantSql + """
                INSERT INTO service_accounts (id, tenant_id, display_name, normalized_name, created_at) VALUES
                    ('s00000000000000000000001', 'aaaaaaaaaaaaaaaaaaaaaaaa', 'Bot', 'BOT', now() - interval '2 days'),
                    ('s00000000000000000000002', 'aaaaaaaaaaaaaaaaaaaaaaaa', U&'\FF22ot', U&'\FF22OT', now() - interval '1 day');
                """, connection);
            await early.ExecuteNonQueryAsync();
        }

        await using (var db = new ProvisioningDbContext(options))
        {
            await db.Database.MigrateAsync();
            var accounts = await db.ServiceAccounts.OrderBy(s => s.CreatedAt).ToListAsync();
            Assert.Equal(["Bot", "\uFF22ot"], accounts.Select(s => s.DisplayName));
            Assert.Equal(["BOT", "\uFF22OT s00000000000000000000002"], accounts.Select(s => s.NormalizedName));

            // The name is taken in either width from now on, and case and accents compare as declared.
            db.ServiceAccounts.Add(ServiceAccount.Create(new TenantId("aaaaaaaaaaaaaaaaaaaaaaaa"), "\uFF22OT", DateTimeOffset.UtcNow));
            await Assert.ThrowsAsync<ConflictException>(() => db.SaveChangesAsync());
            Assert.Equal([true, true, false], await db.Database.SqlQueryRaw<bool>(
                """
                SELECT v AS "Value" FROM (VALUES (1, 'bot' = 'BOT' COLLATE canonical), (2, U&'e\0301' = U&'\00E9' COLLATE canonical),
                                             (3, 'cafe' = U&'caf\00E9' COLLATE canonical)) AS t(n, v) ORDER BY n
                """).ToListAsync());
        }

        await service.Postgres.DropDatabaseAsync(new NpgsqlConnectionStringBuilder(connectionString).Database!);
    }

    [Fact]
    public async Task AppDeletionsCountedPerStatement_KeepsTheCountsItFinds_AndDownCountsPerAppAgain()
    {
        var (connectionString, options) = await DatabaseMigratedToAsync("20261203233000_BudgetLockPerTenant");
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        async Task<int> ScalarAsync(string sql)
        {
            await using var command = new NpgsqlCommand(sql, connection);
            return Convert.ToInt32(await command.ExecuteScalarAsync());
        }

        // 50 apps of the root, counted one by one by the trigger of before; deletions of 10 in one statement, then counted.
        const string Counted = "SELECT coalesce(sum(apps), 0)::int FROM tenant_app_counts WHERE tenant_id = 'aaaaaaaaaaaaaaaaaaaaaaaa'";
        const string DeleteTen = "DELETE FROM apps WHERE id IN (SELECT id FROM apps ORDER BY id LIMIT 10)";
        await ScalarAsync(RootTenantSql + Sql.InsertAppsSql("VALUES ('aaaaaaaaaaaaaaaaaaaaaaaa')", 50));
        Assert.Equal(50, await ScalarAsync(Counted));

        await using (var db = new ProvisioningDbContext(options))
        {
            await db.Database.MigrateAsync();
        }

        Assert.Equal(50, await ScalarAsync(Counted));
        await ScalarAsync(DeleteTen);
        Assert.Equal(40, await ScalarAsync(Counted));
        Assert.Equal(["apps_count_per_tenant", "apps_uncounted_per_statement"], await TriggersOnAppsAsync(connection));

        await using (var db = new ProvisioningDbContext(options))
        {
            await db.GetService<IMigrator>().MigrateAsync("20261203233000_BudgetLockPerTenant");
        }

        await ScalarAsync(DeleteTen);
        Assert.Equal(30, await ScalarAsync(Counted));
        Assert.Equal(["apps_count_per_tenant"], await TriggersOnAppsAsync(connection));
        Assert.Equal(0, await ScalarAsync("SELECT count(*)::int FROM pg_proc WHERE proname = 'count_deleted_tenant_apps'"));

        await connection.CloseAsync();
        await service.Postgres.DropDatabaseAsync(new NpgsqlConnectionStringBuilder(connectionString).Database!);
    }

    [Fact]
    public async Task ServiceAccountGrantVersions_FollowGrantsMadeAndRevoked_NotTheirCascades_AndDownRemovesThem()
    {
        var (connectionString, options) = await DatabaseMigratedToAsync("20261205150000_ServiceAccountCounts");
        await using var session = await Session.OpenAsync(connectionString);

        // Two accounts of the root, five apps, and a grant made before the migration (no version: every account starts at "").
        await session.ScalarAsync(RootTenantSql + Sql.InsertAppsSql($"VALUES ('{Root}')", 5) + ";" + $"""
            INSERT INTO service_accounts (id, tenant_id, display_name, normalized_name, created_at) VALUES
                ('s00000000000000000000001', '{Root}', 'One', 'ONE', now()),
                ('s00000000000000000000002', '{Root}', 'Two', 'TWO', now());
            INSERT INTO app_grants (service_account_id, app_id, created_at)
            SELECT 's00000000000000000000002', min(id), now() FROM apps;
            """);
        await using (var db = new ProvisioningDbContext(options))
        {
            await db.Database.MigrateAsync();
        }

        const string Versions = "SELECT coalesce(string_agg(service_account_id || ':' || slot, ',' ORDER BY service_account_id, slot), '') FROM service_account_grant_versions";
        const string Version = "SELECT coalesce((SELECT xmin::text FROM service_account_grant_versions WHERE service_account_id = 's00000000000000000000001'), '')";
        Assert.Equal("", await session.ScalarAsync(Versions));

        // Four grants in one statement: one version, written once by that transaction (a bulk insert costs one row version,
        // not one a grant); each later grant or revocation, a new one.
        var written = (await session.ScalarAsync("""
            INSERT INTO app_grants (service_account_id, app_id, created_at)
            SELECT 's00000000000000000000001', id, now() FROM apps ORDER BY id LIMIT 4;
            SELECT pg_current_xact_id()::xid::text || ' ' || (n_tup_ins + n_tup_upd)
            FROM pg_stat_xact_user_tables WHERE relname = 'service_account_grant_versions'
            """)).Split(' ');
        var xact = written[0];
        Assert.Equal("1", written[1]);
        Assert.Equal("s00000000000000000000001:0", await session.ScalarAsync(Versions));
        Assert.Equal(xact, await session.ScalarAsync(Version));
        await session.ScalarAsync("DELETE FROM app_grants WHERE service_account_id = 's00000000000000000000001' AND app_id = (SELECT min(id) FROM apps)");
        var revoked = await session.ScalarAsync(Version);
        Assert.NotEqual(xact, revoked);

        // A grant while another transaction holds the account's slot (an open grant of its own) takes a slot of its own:
        // grants to one account, and apps its service account creates, never wait for each other.
        await using (var open = await HeldRow.BeginAsync(connectionString))
        {
            await open.ExecuteAsync("DELETE FROM app_grants WHERE service_account_id = 's00000000000000000000001' AND app_id = (SELECT max(app_id) FROM app_grants)");
            await session.ScalarAsync("SET lock_timeout = '5s'; INSERT INTO app_grants (service_account_id, app_id, created_at) "
                + "SELECT 's00000000000000000000001', min(id), now() FROM apps; RESET lock_timeout");
            Assert.Equal("s00000000000000000000001:0,s00000000000000000000001:1", await session.ScalarAsync(Versions));
        }

        await session.ScalarAsync("DELETE FROM app_grants WHERE service_account_id = 's00000000000000000000001' AND app_id = (SELECT min(id) FROM apps)");
        await session.ScalarAsync("DELETE FROM service_account_grant_versions WHERE slot = 1");
        revoked = await session.ScalarAsync(Version);

        // A grant deleted by a statement of a trigger (not a cascade: its app and account stay) is versioned too.
        await session.ScalarAsync("""
            CREATE TEMP TABLE revoke_by_trigger (app_id text);
            CREATE FUNCTION pg_temp.revoke_by_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                DELETE FROM app_grants WHERE service_account_id = 's00000000000000000000001' AND app_id = NEW.app_id;
                RETURN NULL;
            END $$;
            CREATE TRIGGER revoke_by_trigger AFTER INSERT ON revoke_by_trigger FOR EACH ROW EXECUTE FUNCTION pg_temp.revoke_by_trigger();
            INSERT INTO app_grants (service_account_id, app_id, created_at) SELECT 's00000000000000000000001', min(id), now() FROM apps;
            """);
        revoked = await session.ScalarAsync(Version);
        await session.ScalarAsync("INSERT INTO revoke_by_trigger SELECT min(id) FROM apps");
        Assert.Equal("0", await session.ScalarAsync("SELECT count(*) FROM app_grants WHERE service_account_id = 's00000000000000000000001' AND app_id = (SELECT min(id) FROM apps)"));
        Assert.NotEqual(revoked, await session.ScalarAsync(Version));
        revoked = await session.ScalarAsync(Version);

        // An app's deletion takes its grants without a version (its tenant's apps' version changes instead): no wait on
        // the rows of all the accounts it was granted to.
        await session.ScalarAsync("DELETE FROM apps WHERE id = (SELECT max(app_id) FROM app_grants WHERE service_account_id = 's00000000000000000000001')");
        Assert.Equal("3", await session.ScalarAsync("SELECT count(*) FROM app_grants"));
        Assert.Equal(revoked, await session.ScalarAsync(Version));
        Assert.Equal("s00000000000000000000001:0", await session.ScalarAsync(Versions));

        // A grant moved to the other account (not something the service does) versions both; a deleted account's version goes.
        await session.ScalarAsync("UPDATE app_grants SET service_account_id = 's00000000000000000000002' WHERE app_id = (SELECT max(app_id) FROM app_grants)");
        Assert.Equal("s00000000000000000000001:0,s00000000000000000000002:0", await session.ScalarAsync(Versions));
        Assert.NotEqual(revoked, await session.ScalarAsync(Version));
        await session.ScalarAsync("DELETE FROM service_accounts WHERE id = 's00000000000000000000001'");
        Assert.Equal("s00000000000000000000002:0", await session.ScalarAsync(Versions));
        await session.ScalarAsync($"DELETE FROM tenants WHERE id = '{Root}'");
        Assert.Equal("", await session.ScalarAsync(Versions));

        await using (var db = new ProvisioningDbContext(options))
        {
            await db.GetService<IMigrator>().MigrateAsync("20261205150000_ServiceAccountCounts");
        }

        Assert.Equal("", await session.ScalarAsync("SELECT coalesce(to_regclass('service_account_grant_versions')::text, '')"));
        Assert.Equal("0", await session.ScalarAsync("SELECT count(*) FROM pg_trigger WHERE tgname = 'app_grants_versioned'"));
        Assert.Equal("0", await session.ScalarAsync("SELECT count(*) FROM pg_proc WHERE proname = 'service_account_grants_changed'"));
        Assert.Equal("0", await session.ScalarAsync( // the accounts' deletion trigger back as ServiceAccountCounts made it
            "SELECT count(*) FROM pg_proc WHERE proname = 'count_deleted_tenant_service_accounts' AND prosrc LIKE '%grant_versions%'"));
        Assert.Equal("1", await session.ScalarAsync("SELECT count(*) FROM pg_proc WHERE proname = 'count_deleted_tenant_service_accounts'"));

        await session.DisposeAsync();
        await service.Postgres.DropDatabaseAsync(new NpgsqlConnectionStringBuilder(connectionString).Database!);
    }

    [Fact]
    public async Task SuspensionsHeldByTheirSender_GivesEachSuspensionToItsHighestSenderSinceItsLastResumption_AndOneWithoutToNone()
    {
        var (connectionString, options) = await DatabaseMigratedToAsync("20261206170000_SecretsBoundToTheirRows");
        await using var session = await Session.OpenAsync(connectionString);

        // Under the child: one grandchild the root suspended, and the child then renamed with a "suspended" sent along (a build
        // before 2026-12-01 wrote that as tenant.suspended, without "status" in its changes: the last event's sender is not
        // the holder); one the root suspended, the child resumed and then suspended itself. A child suspended whose events
        // were pruned; an active child once suspended.
        const string Renamed = "cccccccccccccccccccccccc", Resuspended = "c0000000000000000000000c", Pruned = "dddddddddddddddddddddddd", Active = "eeeeeeeeeeeeeeeeeeeeeeee";
        await session.ScalarAsync(RootAndChildSql + $"""
            INSERT INTO tenants (id, name, parent_id, path, contacts, own_settings, created_at, status) VALUES
                ('{Renamed}', 'Renamed', '{Child}', ARRAY['{Root}', '{Child}', '{Renamed}'], 10, '{"{}"}', now(), 'suspended'),
                ('{Resuspended}', 'Resuspended', '{Child}', ARRAY['{Root}', '{Child}', '{Resuspended}'], 10, '{"{}"}', now(), 'suspended'),
                ('{Pruned}', 'Pruned', '{Root}', ARRAY['{Root}', '{Pruned}'], 10, '{"{}"}', now(), 'suspended'),
                ('{Active}', 'Active', '{Root}', ARRAY['{Root}', '{Active}'], 10, '{"{}"}', now(), 'active');
            INSERT INTO audit_events (id, tenant_id, type, actor_kind, actor_tenant_id, resource_type, resource_id, changes, created_at) VALUES
                ('e00000000000000000000001', '{Renamed}', 'tenant.suspended', 'account', '{Root}', 'tenant', '{Renamed}', ARRAY['status'], now()),
                ('e00000000000000000000002', '{Renamed}', 'tenant.suspended', 'account', '{Child}', 'tenant', '{Renamed}', ARRAY['name'], now()),
                ('e00000000000000000000003', '{Resuspended}', 'tenant.suspended', 'account', '{Root}', 'tenant', '{Resuspended}', ARRAY['status'], now()),
                ('e00000000000000000000004', '{Resuspended}', 'tenant.resumed', 'account', '{Child}', 'tenant', '{Resuspended}', ARRAY['status'], now()),
                ('e00000000000000000000005', '{Resuspended}', 'tenant.suspended', 'account', '{Child}', 'tenant', '{Resuspended}', ARRAY['status'], now()),
                ('e00000000000000000000006', '{Active}', 'tenant.suspended', 'account', '{Root}', 'tenant', '{Active}', ARRAY['status'], now());
            """);

        await using (var db = new ProvisioningDbContext(options))
        {
            await db.Database.MigrateAsync();
        }

        const string Holders = $"SELECT string_agg(id || '>' || coalesce(suspended_by, ''), ',' ORDER BY id) FROM tenants WHERE id IN ('{Renamed}', '{Resuspended}', '{Pruned}', '{Active}')";
        Assert.Equal($"{Resuspended}>{Child},{Renamed}>{Root},{Pruned}>,{Active}>", await session.ScalarAsync(Holders));

        // A holder only while suspended: an older build's resumption (which does not know the column) clears it, and nothing
        // sets it on an active tenant.
        await session.ScalarAsync($"UPDATE tenants SET status = 'active' WHERE id = '{Renamed}'");
        Assert.Equal($"{Resuspended}>{Child},{Renamed}>,{Pruned}>,{Active}>", await session.ScalarAsync(Holders));
        var refused = await Assert.ThrowsAsync<PostgresException>(() => session.ScalarAsync($"UPDATE tenants SET suspended_by = '{Root}' WHERE id = '{Active}'"));
        Assert.Equal(("23514", "ck_tenants_suspended_by_while_suspended"), (refused.SqlState, refused.ConstraintName));

        await session.DisposeAsync();
        await service.Postgres.DropDatabaseAsync(new NpgsqlConnectionStringBuilder(connectionString).Database!);
    }

    [Fact]
    public async Task GrantsAcrossTenantsRemoved_DeletesGrantsPairingTwoTenants_KeepsTheOthers_AndVersionsTheirAccounts()
    {
        // Before GrantsWithinOneTenant, SQL could pair a service account and an app of two tenants.
        var (connectionString, options) = await DatabaseMigratedToAsync("20261205110000_SuffixedHeirsIndexUsable");
        await using var session = await Session.OpenAsync(connectionString);

        // The root and a child, two apps and an account each, a third account of the root with only its own tenant's apps;
        // each account of the first two granted an app of each tenant.
        await session.ScalarAsync(RootAndChildSql + Sql.InsertAppsSql($"VALUES ('{Root}'), ('{Child}')", 2) + ";" + $"""
            INSERT INTO service_accounts (id, tenant_id, display_name, normalized_name, created_at) VALUES
                ('s00000000000000000000001', '{Root}', 'One', 'ONE', now()),
                ('s00000000000000000000002', '{Child}', 'Two', 'TWO', now()),
                ('s00000000000000000000003', '{Root}', 'Three', 'THREE', now());
            INSERT INTO app_grants (service_account_id, app_id, created_at)
            SELECT s.id, a.id, now() FROM service_accounts s CROSS JOIN apps a
            WHERE s.id <> 's00000000000000000000003' OR a.tenant_id = '{Root}';
            """);
        const string Grants = "SELECT string_agg(g.service_account_id || '>' || a.tenant_id, ',' ORDER BY g.service_account_id, a.tenant_id) "
            + "FROM app_grants g JOIN apps a ON a.id = g.app_id";
        Assert.Equal($"s00000000000000000000001>{Root},s00000000000000000000001>{Root},s00000000000000000000001>{Child},"
            + $"s00000000000000000000001>{Child},s00000000000000000000002>{Root},s00000000000000000000002>{Root},"
            + $"s00000000000000000000002>{Child},s00000000000000000000002>{Child},s00000000000000000000003>{Root},"
            + $"s00000000000000000000003>{Root}", await session.ScalarAsync(Grants));

        await using (var db = new ProvisioningDbContext(options))
        {
            await db.Database.MigrateAsync();
        }

        // Each account keeps its own tenant's apps; the two whose grants went have a new version (their remembered page
        // starts are not used again), the third none (nothing of it changed).
        Assert.Equal($"s00000000000000000000001>{Root},s00000000000000000000001>{Root},s00000000000000000000002>{Child},"
            + $"s00000000000000000000002>{Child},s00000000000000000000003>{Root},s00000000000000000000003>{Root}", await session.ScalarAsync(Grants));
        Assert.Equal("s00000000000000000000001,s00000000000000000000002", await session.ScalarAsync(
            "SELECT string_agg(DISTINCT service_account_id, ',') FROM service_account_grant_versions"));

        await session.DisposeAsync();
        await service.Postgres.DropDatabaseAsync(new NpgsqlConnectionStringBuilder(connectionString).Database!);
    }

    [Fact]
    public async Task GrantsAcrossTenantsRemoved_WithNoSuchGrants_TakesNoLockAWriterWaitsFor()
    {
        // Every upgrade runs it, and nearly every database has no grant across tenants: it must not hold up grants then.
        var (database, _) = await DatabaseMigratedToAsync("20261205170000_ServiceAccountGrantVersions");
        await Sql.ExecuteAsync(database, RootTenantSql + Sql.InsertAppsSql($"VALUES ('{Root}')", 2) + ";" + OneAccountOfTheRootGrantedEveryAppSql);

        // A grant being written (its transaction open); the migration, were it to wait for it, fails after 5 s.
        await using var writing = await HeldRow.BeginAsync(database);
        await writing.ExecuteAsync("DELETE FROM app_grants WHERE app_id = (SELECT min(app_id) FROM app_grants)");
        var impatient = new NpgsqlConnectionStringBuilder(database) { Options = "-c lock_timeout=5000" }.ConnectionString;
        await using (var db = new ProvisioningDbContext(new DbContextOptionsBuilder<ProvisioningDbContext>().UseNpgsql(impatient).UseSnakeCaseNamingConvention().Options))
        {
            await db.Database.MigrateAsync();
        }

        await writing.ReleaseAsync();
        Assert.Equal(1, await Sql.CountAsync(database, "SELECT count(*) FROM app_grants"));
        Assert.Equal(1, await Sql.CountAsync(database,
            "SELECT count(*) FROM \"__EFMigrationsHistory\" WHERE migration_id = '20261205193000_GrantsAcrossTenantsRemoved'"));
        await service.Postgres.DropDatabaseAsync(new NpgsqlConnectionStringBuilder(database).Database!);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task GrantsAcrossTenantsRemoved_WaitsForDeletionsHoldingGrants_BeforeItHoldsAny_SoNeitherWaitsForTheOtherInACycle(bool byApp)
    {
        // Two grants across tenants: the first account's to the child's second app, the second account's to its first app.
        // A deletion holds one of them and then asks for the other: in app order, as the service deletes apps
        // (Persistence/CascadeLocks), or the other way, as a tenant deletion's cascade takes its accounts' grants on other
        // tenants' apps. The migration's first version (rows deleted account by account) closed a cycle with the first,
        // its second (rows locked in app order) with the second: upgrade probes, the new build failing to start.
        var (database, options) = await DatabaseMigratedToAsync("20261205110000_SuffixedHeirsIndexUsable");
        const string FirstApp = "a00000000000000000000001";
        const string SecondApp = "a00000000000000000000002";
        await Sql.ExecuteAsync(database, RootAndChildSql + Sql.InsertAppsSql($"VALUES ('{Child}')", 2, id: "'a0000000000000000000000' || g") + ";" + $"""
            INSERT INTO service_accounts (id, tenant_id, display_name, normalized_name, created_at) VALUES
                ('s00000000000000000000001', '{Root}', 'One', 'ONE', now()),
                ('s00000000000000000000002', '{Root}', 'Two', 'TWO', now());
            INSERT INTO app_grants (service_account_id, app_id, created_at) VALUES
                ('s00000000000000000000001', '{SecondApp}', now()),
                ('s00000000000000000000002', '{FirstApp}', now());
            """);
        await using (var db = new ProvisioningDbContext(options))
        {
            await db.GetService<IMigrator>().MigrateAsync("20261205170000_ServiceAccountGrantVersions");
        }

        var (first, second) = byApp ? (FirstApp, SecondApp) : (SecondApp, FirstApp);
        await using var deleting = await HeldRow.BeginAsync(database);
        await deleting.ExecuteAsync($"SET LOCAL lock_timeout = '30s'; SELECT 1 FROM app_grants WHERE app_id = '{first}' FOR UPDATE");
        var migrating = Task.Run(async () =>
        {
            await using var db = new ProvisioningDbContext(options);
            await db.Database.MigrateAsync();
        });
        await deleting.UntilWaitingAsync(1, within: TimeSpan.FromSeconds(60)); // the migration, for the deletion
        await deleting.ExecuteAsync($"SELECT 1 FROM app_grants WHERE app_id = '{second}' FOR UPDATE");
        Assert.False(migrating.IsCompleted, "the migration went on past a deletion holding grants: " + migrating.Exception?.GetBaseException().Message);
        await deleting.ReleaseAsync();
        await migrating;

        Assert.Equal(0, await Sql.CountAsync(database, "SELECT count(*) FROM app_grants"));
        await service.Postgres.DropDatabaseAsync(new NpgsqlConnectionStringBuilder(database).Database!);
    }

    [Fact]
    public async Task ServiceAccountCounts_CountsTheAccountsItFinds_KeepsCountingChanges_AndDownRemovesIt()
    {
        var (connectionString, options) = await DatabaseMigratedToAsync("20261205130000_GrantsWithinOneTenant");
        await using var session = await Session.OpenAsync(connectionString);

        // The root with three accounts and a child with one, made before the migration; a tenant with none gets no slot.
        await session.ScalarAsync(RootTenantSql + $"""
            INSERT INTO tenants (id, name, parent_id, path, contacts, own_settings, created_at, status)
            VALUES ('{Child}', 'Child', 'aaaaaaaaaaaaaaaaaaaaaaaa', ARRAY['aaaaaaaaaaaaaaaaaaaaaaaa', '{Child}'], 10, '{"{}"}', now(), 'active'),
                   ('cccccccccccccccccccccccc', 'Empty', 'aaaaaaaaaaaaaaaaaaaaaaaa', ARRAY['aaaaaaaaaaaaaaaaaaaaaaaa', 'cccccccccccccccccccccccc'], 10, '{"{}"}', now(), 'active');
            INSERT INTO service_accounts (id, tenant_id, display_name, normalized_name, created_at) VALUES
                ('s00000000000000000000001', 'aaaaaaaaaaaaaaaaaaaaaaaa', 'One', 'ONE', now()),
                ('s00000000000000000000002', 'aaaaaaaaaaaaaaaaaaaaaaaa', 'Two', 'TWO', now()),
                ('s00000000000000000000003', 'aaaaaaaaaaaaaaaaaaaaaaaa', 'Three', 'THREE', now()),
                ('s00000000000000000000004', '{Child}', 'Four', 'FOUR', now());
            """);
        const string Counted = "SELECT coalesce(string_agg(tenant_id || '=' || accounts, ',' ORDER BY tenant_id), '') FROM "
            + "(SELECT tenant_id, sum(accounts) AS accounts FROM tenant_service_account_counts GROUP BY tenant_id) c";

        await using (var db = new ProvisioningDbContext(options))
        {
            await db.Database.MigrateAsync();
        }

        Assert.Equal($"aaaaaaaaaaaaaaaaaaaaaaaa=3,{Child}=1", await session.ScalarAsync(Counted));

        // A create, then two of the root's deleted in one statement: the counts follow, and each changes the slot's row version.
        var version = await session.ScalarAsync("SELECT xmin::text FROM tenant_service_account_counts WHERE tenant_id = 'aaaaaaaaaaaaaaaaaaaaaaaa'");
        await session.ScalarAsync("INSERT INTO service_accounts (id, tenant_id, display_name, normalized_name, created_at) "
            + "VALUES ('s00000000000000000000005', 'cccccccccccccccccccccccc', 'Five', 'FIVE', now())");
        await session.ScalarAsync("DELETE FROM service_accounts WHERE id IN ('s00000000000000000000001', 's00000000000000000000002')");
        Assert.Equal($"aaaaaaaaaaaaaaaaaaaaaaaa=1,{Child}=1,cccccccccccccccccccccccc=1", await session.ScalarAsync(Counted));
        Assert.NotEqual(version, await session.ScalarAsync("SELECT xmin::text FROM tenant_service_account_counts WHERE tenant_id = 'aaaaaaaaaaaaaaaaaaaaaaaa'"));

        // A rename changes nothing counted; a tenant's deletion takes its slots and accounts with it (the slots by the
        // trigger on tenants, no foreign key cascading into them; the apps' slots still by their foreign key).
        await session.ScalarAsync("UPDATE service_accounts SET display_name = 'Renamed', normalized_name = 'RENAMED' WHERE id = 's00000000000000000000003'");
        await session.ScalarAsync(Sql.InsertAppsSql($"VALUES ('{Child}')", 2));
        await session.ScalarAsync($"DELETE FROM tenants WHERE id = '{Child}'");
        Assert.Equal("aaaaaaaaaaaaaaaaaaaaaaaa=1,cccccccccccccccccccccccc=1", await session.ScalarAsync(Counted));
        Assert.Equal("0", await session.ScalarAsync($"SELECT count(*) FROM tenant_app_counts WHERE tenant_id = '{Child}'"));
        Assert.Equal("0", await session.ScalarAsync(
            "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND conrelid = 'tenant_service_account_counts'::regclass"));
        Assert.Equal("1", await session.ScalarAsync( // kept: dropping it would lock tenants exclusively during an upgrade
            "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND conrelid = 'tenant_app_counts'::regclass"));

        await using (var db = new ProvisioningDbContext(options))
        {
            await db.GetService<IMigrator>().MigrateAsync("20261205130000_GrantsWithinOneTenant");
        }

        Assert.Equal("", await session.ScalarAsync("SELECT coalesce(to_regclass('tenant_service_account_counts')::text, '')"));
        Assert.Equal("0", await session.ScalarAsync("SELECT count(*) FROM pg_trigger WHERE tgname = 'tenants_counters_deleted'"));
        Assert.Equal("0", await session.ScalarAsync(
            "SELECT count(*) FROM pg_proc WHERE proname IN ('count_tenant_service_accounts', 'count_deleted_tenant_service_accounts', 'delete_counters_of_deleted_tenants')"));
        await session.ScalarAsync("DELETE FROM service_accounts"); // no trigger left to fail

        await session.DisposeAsync();
        await service.Postgres.DropDatabaseAsync(new NpgsqlConnectionStringBuilder(connectionString).Database!);
    }

    private static async Task<List<string>> TriggersOnAppsAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'apps'::regclass AND NOT tgisinternal ORDER BY tgname", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var names = new List<string>();
        while (await reader.ReadAsync())
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }
}
