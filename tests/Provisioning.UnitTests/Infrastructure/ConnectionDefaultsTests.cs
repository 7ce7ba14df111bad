using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
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
    public void ThroughATransactionPooler_AutoPreparationIsOffByDefault_AndAStringThatSetsItWins()
    {
        // A statement prepared in one transaction is on a server session the next may not get (PgBouncer before 1.21).
        Assert.Equal(0, new NpgsqlConnectionStringBuilder(DependencyInjection.WithDefaults("Host=bouncer", transactionPooled: true)).MaxAutoPrepare);
        Assert.Equal(20, new NpgsqlConnectionStringBuilder(DependencyInjection.WithDefaults("Host=bouncer;Max Auto Prepare=20", transactionPooled: true)).MaxAutoPrepare);
    }

    [Fact]
    public void AnInvalidSessionString_IsRefusedNamingItsSetting()
    {
        var refused = Assert.Throws<InvalidSettingException>(() => DependencyInjection.ValidateConfiguration(
            new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["ConnectionStrings:Provisioning"] = "Host=db;Database=p",
                ["ConnectionStrings:ProvisioningSession"] = "Host=db;Pasword=oops",
                ["Provisioning:Secrets:MasterKey"] = Convert.ToBase64String(new byte[32]),
            }).Build(),
            new HostingEnvironment { EnvironmentName = Environments.Production }));
        Assert.StartsWith("ConnectionStrings:ProvisioningSession is not a valid PostgreSQL connection string", refused.Message);
        Assert.DoesNotContain("oops", refused.Message);
    }

    [Theory]
    // A slip of a keyword is told the keyword it was meant to be, never as written: it may be a piece of a password.
    [InlineData("Hots=db;Database=p", "a keyword Npgsql does not know (did you mean Host?) (a value holding", "Hots")]
    [InlineData("Host=db;Database=p;Pasword=s3cret", "a keyword Npgsql does not know (did you mean Password?)", "s3cret")]
    // An unquoted password's rest, read as a keyword near none: nothing of it said.
    [InlineData("Host=db;Password=abc;TopSecretPart=1", "a keyword Npgsql does not know (a value holding", "TopSecretPart")]
    // A keyword Npgsql knows, with a value it cannot take: the keyword named, its value not.
    [InlineData("Host=db;Port=fivefour", "the value of Port is not one Npgsql takes", "fivefour")]
    [InlineData("Host=db;Pooling=sometimes", "the value of Pooling is not one Npgsql takes", "sometimes")]
    // A string that is not one at all (a part without '='): as before.
    [InlineData("Host=db;Password=abc;def", "a keyword Npgsql does not know, or a value of the wrong type", "def")]
    public void AnInvalidString_IsToldWhatNpgsqlRefuses_WithoutAWordOfItAsWritten(string connectionString, string said, string notSaid)
    {
        var refused = Assert.Throws<InvalidSettingException>(() => DependencyInjection.WithDefaults(connectionString));
        Assert.StartsWith("ConnectionStrings:Provisioning is not a valid PostgreSQL connection string: ", refused.Message);
        Assert.Contains(said, refused.Message);
        Assert.DoesNotContain(notSaid, refused.Message);
        Assert.EndsWith("(a value holding ';' or '=', such as a password, must be in double quotes).", refused.Message);
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

    [Theory]
    [InlineData("Host=db;Port=99999", "ConnectionStrings:Provisioning's Port must be 1–65535; it is 99999.")]
    [InlineData("Host=db;Port=65536", "ConnectionStrings:Provisioning's Port must be 1–65535; it is 65536.")]
    public void APortPast65535_IsRefusedByName(string connectionString, string refusal) =>
        // Npgsql took it and failed at the first connection with a stack trace (a probe).
        Assert.Equal(refusal, Assert.Throws<InvalidSettingException>(() => DependencyInjection.WithDefaults(connectionString)).Message);

    [Theory]
    [InlineData("Host=db;Maximum Pool Size=0", "ConnectionStrings:Provisioning's Maximum Pool Size must be at least 1; it is 0.")]
    [InlineData("Host=db;MaxPoolSize=0", "ConnectionStrings:Provisioning's Maximum Pool Size must be at least 1; it is 0.")]
    [InlineData("Host=db;Minimum Pool Size=5;Maximum Pool Size=2", "ConnectionStrings:Provisioning's Minimum Pool Size (5) is over its Maximum Pool Size (2).")]
    public void APoolThatCannotServe_IsRefusedByName(string connectionString, string refusal) =>
        // Size 0 made every request wait out the timeout, read as an unreachable server; a minimum over the maximum
        // failed at the first connection with a stack trace (a probe of every setting misconfigured).
        Assert.Equal(refusal, Assert.Throws<InvalidSettingException>(() => DependencyInjection.WithDefaults(connectionString)).Message);

    [Fact]
    public void NoPool_TakesNoPoolSize() =>
        // Npgsql ignores the sizes without a pool.
        Assert.False(new NpgsqlConnectionStringBuilder(DependencyInjection.WithDefaults("Host=db;Pooling=false;Maximum Pool Size=0")).Pooling);

    [Theory]
    [InlineData("Port=5432;Database=p;Username=u")]
    [InlineData("Host=;Database=p")]
    public void NoHost_IsRefusedByName(string connectionString) =>
        // Npgsql failed at the first connection with an ArgumentNullException (it reads no PGHOST either).
        Assert.StartsWith("ConnectionStrings:ProvisioningSession names no Host",
            Assert.Throws<InvalidSettingException>(() => DependencyInjection.WithDefaults(connectionString, name: "ProvisioningSession")).Message);
}
