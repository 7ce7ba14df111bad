using Provisioning.Application.Tenants.Commands.BootstrapRootTenant;
using Provisioning.WebApi.Hosting;

namespace Provisioning.UnitTests.WebApi;

public sealed class BootstrapOptionsTests
{
    [Theory]
    [InlineData("Acme\r", "Acme")] // an env file with CRLF line ends
    [InlineData("Acme\n", "Acme")]
    [InlineData("\tAcme ", "Acme")]
    public void AConfiguredRootNameIsTrimmedOfLineEnds_SoAServiceThatStartedWithItStillStarts(string configured, string name)
    {
        // Names no longer lose a control character at an end (it is refused): configuration is trimmed before it is a name.
        var command = new BootstrapOptions { TenantName = configured }.ToCommand();
        Assert.Equal(name, command.TenantName);
        Assert.True(new BootstrapRootTenantCommandValidator().Validate(command).IsValid);
    }
}
