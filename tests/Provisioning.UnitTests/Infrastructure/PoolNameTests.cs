using Provisioning.Infrastructure.Persistence;

namespace Provisioning.UnitTests.Infrastructure;

public sealed class PoolNameTests
{
    [Fact]
    public void ADataSourcesName_HoldsNeitherPassword_NorAnInstancesName()
    {
        // It is a metric tag and a span attribute: Npgsql's own default drops the password but keeps the client key's.
        var name = DataSources.NameOf(
            "Host=db;Database=provisioning;Username=svc;Password=pw-0123;SSL Password=ssl-4567;Application Name=provisioning 0123abcd;Pooling=false");
        Assert.DoesNotContain("pw-0123", name);
        Assert.DoesNotContain("ssl-4567", name);
        Assert.DoesNotContain("Application Name", name);
        Assert.Contains("Database=provisioning", name);
        Assert.Contains("Pooling=False", name); // (an unpooled connection's source is told from the pool by it)
    }
}
