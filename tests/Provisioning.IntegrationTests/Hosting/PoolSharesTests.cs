using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Hosting;

/// <summary>A pool too small for the shares that protect it is said at start, naming the settings (no warning at the defaults: <see cref="UnknownSettingsTests"/>).</summary>
[Collection(ServiceTestCollection.Name)]
public sealed class PoolSharesTests(ServiceFixture service)
{
    [Fact]
    public async Task APoolOf20_WithTheCustomerDefaultAndTenLookups_IsAWarningForEach_AndTheServiceRuns()
    {
        var database = await service.Postgres.CreateMigratedDatabaseAsync("pool_" + Guid.NewGuid().ToString("N")[..8]);
        var logs = new CollectingLoggerProvider();
        var settings = ServiceFixture.RootKeySettings();
        settings["Provisioning:Credentials:ConcurrentLookups"] = "10";
        await using var instance = new ConfiguredServiceFactory(database + ";Maximum Pool Size=20", settings, services: s => s.AddSingleton<ILoggerProvider>(logs));
        using var root = await instance.CreateRootClientAsync();
        await root.GetJsonAsync("/v2/apps");

        var warnings = logs.Lines.Where(l => l.StartsWith("Warning Provisioning.Configuration", StringComparison.Ordinal)).ToList();
        Assert.True(warnings.Count == 2, string.Join("\n", warnings));
        Assert.Contains(warnings, w => w.Contains("Provisioning:RateLimit:ConcurrentRequestsPerCustomer (25) is not well under the connection pool's Maximum Pool Size (20,", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Contains("Provisioning:Credentials:ConcurrentLookups (10) lets credential lookups hold 20 connections", StringComparison.Ordinal));
    }
}
