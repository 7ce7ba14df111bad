using System.Reflection;
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
        using var db = ModelOnlyContext.Create();
        var assembly = db.GetService<IMigrationsAssembly>();
        var generator = db.GetService<IMigrationsSqlGenerator>();
        var initializer = db.GetService<IModelRuntimeInitializer>();
        // Each side from a migration of its own: the generator writes a column type it took from the model back into the
        // operation, so a second generation over the same operations would repeat it without the model (the review).
        SchemaMigration Create(Type type) => (SchemaMigration)assembly.CreateMigration(type.GetTypeInfo(), db.Database.ProviderName!);
        var migrations = assembly.Migrations.OrderBy(m => m.Key, StringComparer.Ordinal).ToList();

        IModel? previous = null;
        var modelsBuilt = 0;
        foreach (var (id, type) in migrations)
        {
            var withModel = Create(type);
            Assert.Null(withModel.TargetModel);
            var target = Finalized(withModel.DesignTimeTargetModel, initializer);
            modelsBuilt += target.GetEntityTypes().Any() ? 1 : 0;

            Assert.True(Sql(generator.Generate(withModel.UpOperations, target)) == Sql(generator.Generate(Create(type).UpOperations, null)),
                $"{id}: its SQL differs without its target model (up)");
            // Reverting a migration leads to the previous one's model.
            Assert.True(Sql(generator.Generate(withModel.DownOperations, previous)) == Sql(generator.Generate(Create(type).DownOperations, null)),
                $"{id}: its SQL differs without the previous migration's model (down)");
            previous = target;
        }

        // The comparison means something only where there were models to compare with.
        Assert.True(modelsBuilt > 10, $"only {modelsBuilt} migrations have a target model");
    }

    private static IModel Finalized(IModel model, IModelRuntimeInitializer initializer) =>
        initializer.Initialize(model is IMutableModel mutable ? mutable.FinalizeModel() : model, designTime: true);

    private static string Sql(IReadOnlyList<MigrationCommand> commands) =>
        string.Join("\n;\n", commands.Select(c => $"{(c.TransactionSuppressed ? "-- outside a transaction\n" : string.Empty)}{c.CommandText}"));
}
