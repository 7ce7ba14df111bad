using Npgsql;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Provisioning.WebApi.Authentication;

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

/// <summary>Opens a logging scope with the request id and, once authenticated, the tenant and key ids.</summary>
public sealed class RequestLogScopeMiddleware(RequestDelegate next, ILogger<RequestLogScopeMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        using (logger.BeginScope(new RequestLogScope(context)))
        {
            await next(context);
        }
    }

    /// <summary>
    /// The scope's three values in one small object instead of a dictionary (three allocations and hashing per request).
    /// Read when the request reaches this middleware, as before: a log line written later, from work the request started,
    /// must not read a pooled <see cref="HttpContext"/> that already serves another request. Log providers see the same
    /// key/value pairs as before (<c>RequestId</c>, <c>TenantId</c>, <c>KeyId</c>).
    /// </summary>
    private sealed class RequestLogScope(HttpContext context) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        private readonly string _requestId = context.TraceIdentifier;
        private readonly string? _tenantId = context.User.FindFirst(CredentialClaims.TenantId)?.Value;
        private readonly string? _keyId = context.User.FindFirst(CredentialClaims.KeyId)?.Value;

        public int Count => 3;

        public KeyValuePair<string, object?> this[int index] => index switch
        {
            0 => new("RequestId", _requestId),
            1 => new("TenantId", _tenantId),
            2 => new("KeyId", _keyId),
            _ => throw new ArgumentOutOfRangeException(nameof(index)),
        };

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
        {
            for (var i = 0; i < Count; i++)
            {
                yield return this[i];
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
