using Provisioning.Application.Common.Exceptions;
using Provisioning.Domain.Apps;
using Provisioning.Domain.Credentials;
using Provisioning.Domain.ServiceAccounts;
using Provisioning.Domain.Tenants;

namespace Provisioning.UnitTests.Application;

/// <summary>Every 404's code and text, as the factories give them and as a save's lost race names its row's resource.</summary>
public sealed class NotFoundExceptionTests
{
    [Fact]
    public void EachFactory_SaysItsResource_AndAppsTheirOwnCode()
    {
        foreach (var (exception, resource, code) in new[]
                 {
                     (NotFoundException.App(), "App", "app_not_found"),
                     (NotFoundException.Tenant(), "Tenant", "not_found"),
                     (NotFoundException.Tenant("ROOT"), "Tenant 'ROOT'", "not_found"),
                     (NotFoundException.ServiceAccount(), "Service account", "not_found"),
                     (NotFoundException.Grant(), "Grant", "not_found"),
                     (NotFoundException.ProvisioningKey(), "Provisioning key", "not_found"),
                     (NotFoundException.Key(), "Key", "not_found"),
                     (NotFoundException.User(), "User", "not_found"),
                 })
        {
            Assert.Equal($"{resource} not found.", exception.Message);
            Assert.Equal(resource, exception.Resource);
            Assert.Equal(code, exception.Code);
            Assert.Equal(404, exception.Status);
        }
    }

    [Fact]
    public void ATenantAsAnOperatorTypedIt_IsSaidBackEscaped_AndNotWholeWhenLong()
    {
        // 'tenants --under' with an escape sequence coloured the terminal; one of 5,000 characters was said whole (a probe).
        var typed = "\u001b[31mred\nsecond line" + new string('x', 5000);
        Assert.Equal("Tenant '\\u001B[31mred\\u000Asecond line" + new string('x', 70) + "…' not found.", NotFoundException.Tenant(typed).Message);
    }

    [Theory]
    [InlineData(typeof(App), "App", "app_not_found")]
    [InlineData(typeof(AppGrant), "App", "app_not_found")] // a grant gone with its app
    [InlineData(typeof(Tenant), "Tenant", "not_found")]
    [InlineData(typeof(ServiceAccount), "Service account", "not_found")]
    [InlineData(typeof(ProvisioningKey), "Provisioning key", "not_found")]
    [InlineData(typeof(TenantUser), "User", "not_found")]
    [InlineData(typeof(ApiKey), "Key", "not_found")]
    [InlineData(null, "Key", "not_found")]
    public void ARowOfAType_NamesItsResource(Type? entity, string resource, string code)
    {
        var exception = NotFoundException.Of(entity);
        Assert.Equal(resource, exception.Resource);
        Assert.Equal(code, exception.Code);
    }
}
