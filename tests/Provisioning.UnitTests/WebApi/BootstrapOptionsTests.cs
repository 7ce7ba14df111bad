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

    [Fact]
    public void TheKeyIdAndSecret_AreTrimmedOfLineEndsToo()
    {
        // A key id with a CR failed its format check on every start; a secret with one was stored so, and the operator's copy
        // of the root key answered 401.
        var secret = new string('s', BootstrapRootTenantCommandValidator.MinSecretLength);
        var command = new BootstrapOptions { KeyId = "act_0123456789abcdef01234567\r", Secret = secret + "\r\n" }.ToCommand();
        Assert.Equal(("act_0123456789abcdef01234567", secret), (command.KeyId, command.Secret));
        Assert.True(new BootstrapRootTenantCommandValidator().Validate(command).IsValid);
    }
}
