using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Provisioning.IntegrationTests.Fixtures;

/// <summary>A separate instance of the service with a database and settings of the test's choosing (in-memory test server).</summary>
public sealed class ConfiguredServiceFactory(
    string connectionString, Dictionary<string, string?> settings, TimeProvider? clock = null, Action<IServiceCollection>? services = null)
    : WebApplicationFactory<Program>
{
    /// <summary>
    /// A client with the root key (the bootstrap settings of <see cref="ServiceFixture"/>), after one request has gone
    /// through: the instance has started and its root exists.
    /// </summary>
    public async Task<HttpClient> CreateRootClientAsync()
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = ServiceFixture.BasicHeader(ServiceFixture.RootKeyId, ServiceFixture.RootSecret);
        using var warm = await client.GetAsync("/v2/apps");
        Assert.Equal(System.Net.HttpStatusCode.OK, warm.StatusCode);
        return client;
    }

    /// <summary>A client with <paramref name="tenant"/>'s tenant token.</summary>
    public HttpClient ClientOf(ProvisionedTenant tenant)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", tenant.Token);
        return client;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("ConnectionStrings:Provisioning", connectionString);
        builder.UseSetting("Provisioning:Secrets:MasterKey", ServiceFixture.MasterKey);
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }

        if (clock is not null)
        {
            // The service's clock (key expiry, issued JWTs); registered last, so it is the one resolved.
            builder.ConfigureTestServices(services => services.AddSingleton(clock));
        }

        if (services is not null)
        {
            // Test-only additions (an EF interceptor that fails at a chosen moment, …).
            builder.ConfigureTestServices(services);
        }
    }
}
