using Microsoft.Extensions.Configuration;
using Provisioning.WebApi.Hosting;

namespace Provisioning.UnitTests.WebApi;

public sealed class ServiceNameTests
{
    [Theory]
    [InlineData(null, null, "provisioning")]
    [InlineData("provisioning-eu", null, "provisioning-eu")]
    [InlineData(" provisioning-eu ", "service.name=other", "provisioning-eu")] // OTEL_SERVICE_NAME first, as the specification says
    [InlineData("  ", "deployment.environment=prod, service.name = billing%20eu", "billing eu")]
    [InlineData(null, "deployment.environment=prod", "provisioning")]
    [InlineData(null, "service.name=", "provisioning")]
    public void TheExportedServiceName_IsOpenTelemetrysVariablesFirst(string? serviceName, string? resourceAttributes, string exported)
    {
        // This service's own name overrode OTEL_SERVICE_NAME (a probe of the OTLP export).
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["OTEL_SERVICE_NAME"] = serviceName,
            ["OTEL_RESOURCE_ATTRIBUTES"] = resourceAttributes,
        }).Build();
        Assert.Equal(exported, Observability.ServiceNameIn(configuration));
    }
}
