using Microsoft.AspNetCore.Builder;
using Provisioning.WebApi.Hosting;

namespace Provisioning.UnitTests.WebApi;

/// <summary><c>OTEL_EXPORTER_OTLP_ENDPOINT</c> as the start reads it: a URL the exporter takes, or a refusal naming it.</summary>
public sealed class OtlpEndpointTests
{
    private static WebApplicationBuilder With(string endpoint)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration[Observability.OtlpEndpointSetting] = endpoint;
        return builder;
    }

    [Theory]
    [InlineData("abc", "it is 'abc'.")] // sent to localhost:4317 without a word (a probe)
    [InlineData("ftp://collector:4317", "it is 'ftp://collector:4317'.")]
    [InlineData("http://127.0.0.1:99999", "it is 'http://127.0.0.1:99999'.")]
    [InlineData("ftp://user:OtelSecretPW@collector:4317", "it is '(a URL with a user name or password: not printed)'.")]
    public void AnEndpointTheExporterCannotTake_IsRefusedByName(string endpoint, string end)
    {
        var said = Assert.Throws<StartupException>(() => With(endpoint).AddObservability()).Message;
        Assert.StartsWith("OTEL_EXPORTER_OTLP_ENDPOINT must be an absolute http(s) URL, such as http://otel-collector:4317; ", said);
        Assert.EndsWith(end, said);
    }

    [Theory]
    [InlineData("http://otel-collector:4317")]
    [InlineData(" https://collector.example.com:4318 ")]
    [InlineData("")]
    public void AnEndpointTheExporterTakes_OrNone_IsTaken(string endpoint) => Assert.NotNull(With(endpoint).AddObservability());
}
