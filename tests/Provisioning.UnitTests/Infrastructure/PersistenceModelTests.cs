using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Provisioning.Application.Common.Security;
using Provisioning.Domain.Common;
using Provisioning.Infrastructure;
using Provisioning.Infrastructure.Persistence;

namespace Provisioning.UnitTests.Infrastructure;

/// <summary>
/// The aggregates expose read-only views (<c>IReadOnlyList</c>, <c>IReadOnlyDictionary</c>, <c>ReadOnlyMemory</c>) over what
/// EF Core stores: the model must still be the one the migrations built, and the ancestry predicate the GIN-indexed
/// array containment. No database is needed for either.
/// </summary>
public sealed class PersistenceModelTests
{
    [Fact]
    public void Model_IsTheOneTheMigrationsBuilt()
    {
        // The service's own context, as AddInfrastructure configures it (an option that shapes the model counts): the start
        // no longer asks this (migrations ignore EF's pending-changes warning), so this test is where a model change without
        // its migration is caught. No connection is opened.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Provisioning"] = "Host=localhost;Database=model_only;Username=u;Password=p",
            ["Provisioning:Secrets:MasterKey"] = Convert.ToBase64String(new byte[32]),
        }).Build();
        using var services = new ServiceCollection().AddLogging()
            .AddInfrastructure(configuration, new HostingEnvironment { EnvironmentName = Environments.Production })
            .BuildServiceProvider();
        using var scope = services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<ProvisioningDbContext>();
        Assert.False(db.Database.HasPendingModelChanges(), "The EF model differs from the last migration's snapshot.");
    }

    [Fact]
    public void InSubtreeOf_IsArrayContainmentOnThePathColumn()
    {
        using var db = ModelOnlyContext.Create();
        var sql = db.Tenants.Where(CallerScope.InSubtreeOf(IdGenerator.NewId())).ToQueryString();
        Assert.Contains("WHERE t.path @> ARRAY[@tenantId]::text[]", sql);
    }

    [Fact]
    public void AncestorSettings_AreReadInOneQueryOverTheIds()
    {
        using var db = ModelOnlyContext.Create();
        var ancestors = new List<TenantId> { TenantId.New() };
        var sql = db.Tenants.Where(t => ancestors.Contains(t.Id)).Select(t => new { t.Id, t.OwnSettings }).ToQueryString();
        Assert.Contains("t.own_settings", sql);
        Assert.Contains("WHERE t.id = ANY (@ancestors)", sql);
    }
}
