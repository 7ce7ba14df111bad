using Npgsql;
using Provisioning.Infrastructure;

namespace Provisioning.UnitTests.Infrastructure;

public sealed class ConnectionDefaultsTests
{
    private static int MaxAutoPrepare(string connectionString) =>
        new NpgsqlConnectionStringBuilder(DependencyInjection.WithDefaults(connectionString)).MaxAutoPrepare;

    [Fact]
    public void AutoPreparation_IsOnByDefault()
    {
        Assert.Equal(DependencyInjection.DefaultMaxAutoPrepare, MaxAutoPrepare("Host=db;Database=provisioning;Username=app"));
    }

    [Theory]
    [InlineData("Host=db;Max Auto Prepare=0", 0)]
    [InlineData("Host=db;max auto prepare=10", 10)]
    [InlineData("Host=db;MaxAutoPrepare=5", 5)]
    public void AConnectionStringThatSetsIt_Wins(string connectionString, int expected)
    {
        Assert.Equal(expected, MaxAutoPrepare(connectionString));
    }

    [Fact]
    public void PooledConnections_AreNotResetByDefault()
    {
        Assert.True(new NpgsqlConnectionStringBuilder(DependencyInjection.WithDefaults("Host=db;Database=provisioning")).NoResetOnClose);
    }

    [Theory]
    [InlineData("Host=db;No Reset On Close=false")]
    [InlineData("Host=db;noresetonclose=false")]
    public void AResetAskedFor_IsKept(string connectionString)
    {
        Assert.False(new NpgsqlConnectionStringBuilder(DependencyInjection.WithDefaults(connectionString)).NoResetOnClose);
    }

    [Fact]
    public void TheInstancesName_IsTheSessionsApplicationName_UnlessTheStringSetsOne()
    {
        Assert.Equal("provisioning 0123456789abcdef",
            new NpgsqlConnectionStringBuilder(DependencyInjection.WithDefaults("Host=db", "provisioning 0123456789abcdef")).ApplicationName);
        Assert.Equal("mine", new NpgsqlConnectionStringBuilder(DependencyInjection.WithDefaults("Host=db;Application Name=mine", "provisioning 0a")).ApplicationName);
        Assert.Equal("mine", new NpgsqlConnectionStringBuilder(DependencyInjection.WithDefaults("Host=db;applicationname=mine", "provisioning 0a")).ApplicationName);
        Assert.Null(new NpgsqlConnectionStringBuilder(DependencyInjection.WithDefaults("Host=db")).ApplicationName);
    }

    [Fact]
    public void EverythingElse_IsKept()
    {
        var kept = new NpgsqlConnectionStringBuilder(DependencyInjection.WithDefaults("Host=db;Port=6432;Database=p;Username=u;Password=secret;Timeout=7"));
        Assert.Equal(("db", 6432, "p", "u", "secret", 7), (kept.Host, kept.Port, kept.Database, kept.Username, kept.Password, kept.Timeout));
    }
}
