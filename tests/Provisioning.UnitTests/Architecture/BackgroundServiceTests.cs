using Microsoft.Extensions.Hosting;
using NetArchTest.Rules;
using Provisioning.Infrastructure.Persistence;

namespace Provisioning.UnitTests.Architecture;

/// <summary>The service's background services stop without waiting on Npgsql's cancel requests (<see cref="DatabaseBackgroundService"/>).</summary>
public sealed class BackgroundServiceTests
{
    [Fact]
    public void EveryBackgroundService_DerivesFromDatabaseBackgroundService()
    {
        var result = Types.InAssemblies([typeof(Provisioning.Infrastructure.DependencyInjection).Assembly, typeof(Provisioning.WebApi.Hosting.StartupChecks).Assembly])
            .That().Inherit(typeof(BackgroundService)).And().AreNotAbstract()
            .Should().Inherit(typeof(DatabaseBackgroundService)).GetResult();
        Assert.True(result.IsSuccessful, string.Join(", ", result.FailingTypeNames ?? []));
        Assert.NotEmpty(Types.InAssembly(typeof(Provisioning.Infrastructure.DependencyInjection).Assembly).That().Inherit(typeof(DatabaseBackgroundService)).GetTypes());
    }
}
