using Microsoft.Extensions.Configuration;
using Provisioning.WebApi.Hosting;
using Provisioning.WebApi.Hosting.Readiness;

namespace Provisioning.UnitTests.WebApi;

public sealed class ReadinessOptionsTests
{
    private static IConfiguration With(string? value) => new ConfigurationBuilder()
        .AddInMemoryCollection(value is null ? [] : [new(ReadinessOptions.Section + ":ReuseMilliseconds", value)]).Build();

    [Theory]
    [InlineData(null, 1000)]
    [InlineData("0", 0)]
    [InlineData("60000", 60000)]
    public void TheWindow_IsTheSettingOrASecond(string? value, int milliseconds) =>
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), ReadinessOptions.Read(With(value)));

    [Theory]
    [InlineData("-1")]
    [InlineData("60001")]
    [InlineData("soon")]
    public void AWindowOutOfRange_StopsTheStart_NamingTheSetting(string value) =>
        Assert.Contains("Provisioning:Readiness:ReuseMilliseconds", Assert.Throws<StartupException>(() => ReadinessOptions.Read(With(value))).Message);
}
