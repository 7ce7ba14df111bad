using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql;
using Provisioning.Infrastructure.Persistence;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Hosting;

/// <summary>Migrations applied to a database with data in it, as an upgrade meets them.</summary>
[Collection(ServiceTestCollection.Name)]
public sealed class MigrationTests(ServiceFixture service)
{
    [Fact]
    public async Task FrontDoor_GivesExistingAppsDistinctTokens_AndRowsWrittenWithoutOneGetOne()
    {
        var connectionString = await service.Postgres.CreateDatabaseAsync("migrate_" + Guid.NewGuid().ToString("N")[..8]);
        var options = new DbContextOptionsBuilder<ProvisioningDbContext>().UseNpgsql(connectionString).UseSnakeCaseNamingConvention().Options;
        await using (var db = new ProvisioningDbContext(options))
        {
            await db.GetService<IMigrator>().MigrateAsync("20261123045903_InitialSchema");
        }

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
}
