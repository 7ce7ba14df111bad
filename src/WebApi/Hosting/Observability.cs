using Npgsql;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Provisioning.WebApi.Hosting;

/// <summary>
/// Structured logs carry the request id, tenant id and key id of each request (never a secret).
/// OpenTelemetry traces and metrics (ASP.NET Core, Npgsql — which EF Core runs on — and the
/// runtime) are exported over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, and are off otherwise.
/// </summary>
public static class Observability
{
    public const string ServiceName = "provisioning";
    public const string OtlpEndpointSetting = "OTEL_EXPORTER_OTLP_ENDPOINT";

    public static WebApplicationBuilder AddObservability(this WebApplicationBuilder builder)
    {
        builder.Logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);
        if (string.IsNullOrWhiteSpace(builder.Configuration[OtlpEndpointSetting]))
        {
            return builder;
        }

        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(ServiceName))
            .WithTracing(t => t
                .AddAspNetCoreInstrumentation(o => o.Filter = c => !c.Request.Path.StartsWithSegments("/healthz"))
                .AddNpgsql()
                .AddOtlpExporter())
            .WithMetrics(m => m
                .AddAspNetCoreInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter("Npgsql", "Microsoft.EntityFrameworkCore")
                .AddOtlpExporter());
        builder.Logging.AddOpenTelemetry(o =>
        {
            o.IncludeScopes = true;
            o.AddOtlpExporter();
        });
        return builder;
    }
}
