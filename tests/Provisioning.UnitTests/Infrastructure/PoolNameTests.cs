using Microsoft.Extensions.Configuration;
using Provisioning.Infrastructure;

namespace Provisioning.UnitTests.Infrastructure;

public sealed class PoolNameTests
{
    [Fact]
    public void ThePoolsName_HoldsNeitherPassword_NorAnInstancesName()
    {
        // It is a metric tag and a span attribute: Npgsql's own default drops the password but keeps the client key's.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Provisioning"] = "Host=db;Database=provisioning;Username=svc;Password=pw-0123;SSL Password=ssl-4567",
        }).Build();
        var name = DependencyInjection.PoolName(configuration);
        Assert.DoesNotContain("pw-0123", name);
        Assert.DoesNotContain("ssl-4567", name);
        Assert.DoesNotContain("Application Name", name);
        Assert.Contains("Database=provisioning", name);
    }
}
