using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging;

namespace Provisioning.IntegrationTests.Fixtures;

/// <summary>
/// The service under test, configured with the keys a deployment's environment variables give, set as host settings. They
/// reach the service as its command line does (<c>UseSetting</c>), so they outrank every source, a settings folder's
/// files too; which source wins over which is tested with the service's own process (<c>StartupProcessTests</c>).
/// </summary>
public sealed class ServiceFactory(string connectionString) : WebApplicationFactory<Program>
{
    /// <summary>Everything the service logged, at every level.</summary>
    public CollectingLoggerProvider Logs { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Trace).AddProvider(Logs));
        builder.UseSetting("ConnectionStrings:Provisioning", connectionString);
        builder.UseSetting("Provisioning:Secrets:MasterKey", ServiceFixture.MasterKey);
        builder.UseSetting("Provisioning:Bootstrap:TenantName", "Root");
        foreach (var (key, value) in ServiceFixture.RootKeySettings())
        {
            builder.UseSetting(key, value);
        }

        builder.UseSetting("urls", "http://127.0.0.1:0");
    }
}
