using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Options;
using Provisioning.Infrastructure;
using Provisioning.Infrastructure.Retention;

namespace Provisioning.UnitTests.Infrastructure;

/// <summary>The retention settings' bounds, as the start checks them (before the database).</summary>
public sealed class RetentionOptionsTests
{
    private static RetentionOptions Read(string setting, string value)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Provisioning"] = "Host=localhost;Database=options_only",
            ["Provisioning:Secrets:MasterKey"] = Convert.ToBase64String(new byte[32]),
            [setting] = value,
        }).Build();
        using var services = new ServiceCollection().AddLogging()
            .AddInfrastructure(configuration, new HostingEnvironment { EnvironmentName = Environments.Production })
            .BuildServiceProvider();
        return services.GetRequiredService<IOptions<RetentionOptions>>().Value;
    }

    [Theory]
    // Past about 2,000 years the pruner's cutoff fell before year 1: the start went on, and every pass failed (a probe).
    [InlineData(RetentionOptions.AuditRetentionDaysSetting, "740000", "Provisioning:Audit:RetentionDays must be between 1 and 36500 (a century).")]
    [InlineData(RetentionOptions.AuditRetentionDaysSetting, "36501", "Provisioning:Audit:RetentionDays must be between 1 and 36500 (a century).")]
    [InlineData(RetentionOptions.AuditRetentionDaysSetting, "0", "Provisioning:Audit:RetentionDays must be between 1 and 36500 (a century).")]
    [InlineData(RetentionOptions.IdempotencyRetentionHoursSetting, "2147483647", "Provisioning:Idempotency:RetentionHours must be between 24 (retries are honoured for at least a day) and 876000 (a century).")]
    [InlineData(RetentionOptions.IdempotencyRetentionHoursSetting, "23", "Provisioning:Idempotency:RetentionHours must be between 24")]
    public void ARetentionOutOfItsBounds_IsRefusedByName(string setting, string value, string refusal) =>
        Assert.StartsWith(refusal, Assert.Throws<OptionsValidationException>(() => Read(setting, value)).Message);

    [Theory]
    [InlineData(RetentionOptions.AuditRetentionDaysSetting, "36500")]
    [InlineData(RetentionOptions.IdempotencyRetentionHoursSetting, "876000")]
    [InlineData(RetentionOptions.IdempotencyRetentionHoursSetting, "24")]
    public void ARetentionWithinItsBounds_IsTaken(string setting, string value) => Assert.NotNull(Read(setting, value));
}
