using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Provisioning.IntegrationTests.Fixtures;

namespace Provisioning.IntegrationTests.Hosting;

/// <summary>A misspelt setting is said at start (a Warning naming it, not its value), not ignored without a word.</summary>
[Collection(ServiceTestCollection.Name)]
public sealed class UnknownSettingsTests(ServiceFixture service)
{
    [Fact]
    public async Task AMisspeltSetting_IsAWarningNamingIt_AndEveryDocumentedOneIsKnown()
    {
        var database = await service.Postgres.CreateMigratedDatabaseAsync("settings_" + Guid.NewGuid().ToString("N")[..8]);
        var logs = new CollectingLoggerProvider();
        var settings = ServiceFixture.RootKeySettings();
        settings["Provisioning:TrustedProxy:0"] = "10.9.8.7";               // TrustedProxies
        settings["Provisioning:RateLimit:PermitsPerMinut"] = "5";          // PermitsPerMinute
        // Every setting README's table names, so a new one cannot be left out of the known list unnoticed.
        settings["Provisioning:TrustedProxies:0"] = "10.0.0.0/8";
        settings["Provisioning:Jwt:Lifetime"] = "00:30:00";
        settings["Provisioning:Idempotency:RetentionHours"] = "48";
        settings["Provisioning:Audit:RetentionDays"] = "400";
        settings["Provisioning:Retention:IntervalMinutes"] = "30";
        settings["Provisioning:Database:MigrateOnStartup"] = "true";
        settings["Provisioning:PublicBaseUrl"] = "https://api.example.com";
        await using var instance = new ConfiguredServiceFactory(database, settings, services: s => s.AddSingleton<ILoggerProvider>(logs));
        using var root = await instance.CreateRootClientAsync();

        var warnings = logs.Lines.Where(l => l.StartsWith("Warning Provisioning.Configuration", StringComparison.Ordinal)).ToList();
        Assert.True(warnings.Count == 2, string.Join("\n", warnings));
        Assert.Contains(warnings, w => w.Contains(
            "Provisioning:RateLimit:PermitsPerMinut is not a setting of this service and is ignored: did you mean Provisioning:RateLimit:PermitsPerMinute?",
            StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Contains(
            "Provisioning:TrustedProxy:0 is not a setting of this service and is ignored: did you mean Provisioning:TrustedProxies?", StringComparison.Ordinal));
        Assert.DoesNotContain(warnings, w => w.Contains("10.9.8.7", StringComparison.Ordinal));

        var documented = System.Text.RegularExpressions.Regex.Matches(
                await File.ReadAllTextAsync(Path.Combine(Documentation.OpenApiDocumentTests.CommittedDocumentPath, "..", "..", "..", "..", "README.md")),
                @"`(Provisioning__[A-Za-z_0-9]+)`")
            .Select(m => m.Groups[1].Value.Replace("__", ":", StringComparison.Ordinal))
            .Distinct()
            .ToList();
        Assert.NotEmpty(documented);
        var config = new ConfigurationBuilder()
            .AddInMemoryCollection(documented.Select(name => new KeyValuePair<string, string?>(name, "x"))).Build();
        Assert.Empty(WebApi.Hosting.UnknownSettings.In(config));
    }
}
