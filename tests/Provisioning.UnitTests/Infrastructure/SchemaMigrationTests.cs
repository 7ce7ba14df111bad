using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;
using Provisioning.Infrastructure.Persistence;

namespace Provisioning.UnitTests.Infrastructure;

/// <summary>
/// The service applies migrations without their target models (<see cref="SchemaMigration"/>): building one model per
/// migration was a share of every first start. That is safe only while no migration's SQL depends on its model, which
/// these tests check for every migration, both ways; no database is needed.
/// </summary>
public sealed class SchemaMigrationTests
{
    private static ProvisioningDbContext NewContext() =>
        new(new DbContextOptionsBuilder<ProvisioningDbContext>()
            .UseNpgsql("Host=localhost;Database=model_only")
            .UseSnakeCaseNamingConvention()
            .Options);

    [Fact]
    public void EveryMigration_IsASchemaMigration()
    {
        var migrations = typeof(ProvisioningDbContext).Assembly.GetTypes()
            .Where(t => typeof(Migration).IsAssignableFrom(t) && !t.IsAbstract)
            .ToList();

        Assert.NotEmpty(migrations);
        Assert.All(migrations, m => Assert.True(typeof(SchemaMigration).IsAssignableFrom(m), $"{m.Name} derives from Migration, not SchemaMigration."));
    }

    [Fact]
    public void EveryMigration_SendsTheSameSql_WithoutItsTargetModel()
    {
        using var db = NewContext();
        var assembly = db.GetService<IMigrationsAssembly>();
        var generator = db.GetService<IMigrationsSqlGenerator>();
        var initializer = db.GetService<IModelRuntimeInitializer>();
        var migrations = assembly.Migrations.OrderBy(m => m.Key, StringComparer.Ordinal)
            .Select(m => (SchemaMigration)assembly.CreateMigration(m.Value, db.Database.ProviderName!))
            .ToList();

        IModel? previous = null;
        var modelsBuilt = 0;
        foreach (var migration in migrations)
        {
            Assert.Null(migration.TargetModel);
            var target = Finalized(migration.DesignTimeTargetModel, initializer);
            modelsBuilt += target.GetEntityTypes().Any() ? 1 : 0;

            Assert.Equal(Sql(generator.Generate(migration.UpOperations, target)), Sql(generator.Generate(migration.UpOperations, null)));
            // Reverting a migration leads to the previous one's model.
            Assert.Equal(Sql(generator.Generate(migration.DownOperations, previous)), Sql(generator.Generate(migration.DownOperations, null)));
            previous = target;
        }

        // The comparison means something only where there were models to compare with.
        Assert.True(modelsBuilt > 10, $"only {modelsBuilt} migrations have a target model");
    }

    private static IModel Finalized(IModel model, IModelRuntimeInitializer initializer) =>
        initializer.Initialize(model is IMutableModel mutable ? mutable.FinalizeModel() : model, designTime: true);

    private static string Sql(IReadOnlyList<MigrationCommand> commands) => string.Join("\n;\n", commands.Select(c => c.CommandText));
}
