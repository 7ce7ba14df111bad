using Microsoft.Extensions.Configuration;
using Provisioning.WebApi.Hosting;
using Provisioning.WebApi.Hosting.FrontDoor;

namespace Provisioning.UnitTests.WebApi;

public sealed class ConnectionLimitTests
{
    private const string Limits = """
        Limit                     Soft Limit           Hard Limit           Units
        Max processes             unlimited            unlimited            processes
        Max open files            20000                524288               files
        Max locked memory         8388608              8388608              bytes
        """;

    [Fact]
    public void TheSoftOpenFilesLimit_IsRead_AndUnlimitedOrMissingIsNone()
    {
        Assert.Equal(20000, ConnectionLimit.OpenFilesLimit(Limits));
        Assert.Null(ConnectionLimit.OpenFilesLimit(Limits.Replace("20000 ", "unlimited ", StringComparison.Ordinal)));
        Assert.Null(ConnectionLimit.OpenFilesLimit("Limit  Soft Limit  Hard Limit  Units\n"));
    }

    [Theory]
    [InlineData(20000L, 10_000L)] // the ceiling
    [InlineData(4096L, 3596L)] // the limit less the reserve
    [InlineData(1024L, 524L)] // a low hard limit (the runtime raises the soft one to it)
    [InlineData(256L, 64L)] // the floor
    [InlineData(null, 10_000L)]
    public void TheDefault_IsTheOpenFilesLimitLessTheReserve_WithinTheFloorAndTheCeiling(long? openFiles, long expected) =>
        Assert.Equal(expected, ConnectionLimit.For(openFiles));

    [Theory]
    [InlineData("2", 2L)]
    [InlineData("50000", 50_000L)]
    public void TheSetting_WinsOverTheDefault(string value, long expected) =>
        Assert.Equal(expected, ConnectionLimit.Configured(Configuration(value)));

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("many")]
    [InlineData(" 5")]
    public void ASettingThatIsNoCountOfConnections_StopsTheStart_NamingIt(string value)
    {
        var refused = Assert.Throws<StartupException>(() => ConnectionLimit.Configured(Configuration(value)));
        Assert.Equal($"Kestrel:Limits:MaxConcurrentConnections must be a whole number of connections, 1 or more; it is '{value}'.", refused.Message);
    }

    private static IConfiguration Configuration(string value) =>
        new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [ConnectionLimit.Setting] = value }).Build();
}
