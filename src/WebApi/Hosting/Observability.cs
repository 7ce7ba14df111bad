using System.Diagnostics;
using Npgsql;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Provisioning.WebApi.Hosting.FrontDoor;
using Provisioning.WebApi.Hosting.Readiness;

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

    /// <summary>
    /// The exported <c>service.name</c>, as OpenTelemetry's variables say it, which the "usual OTEL_* variables" promise (this
    /// service's own name overrode them: a probe): <c>OTEL_SERVICE_NAME</c>, else a <c>service.name</c> in
    /// <c>OTEL_RESOURCE_ATTRIBUTES</c> (its value percent-decoded, as the specification writes them), else <see cref="ServiceName"/>.
    /// </summary>
    public static string ServiceNameIn(IConfiguration configuration)
    {
        if (configuration["OTEL_SERVICE_NAME"] is { } named && !string.IsNullOrWhiteSpace(named))
        {
            return named.Trim();
        }

        foreach (var attribute in (configuration["OTEL_RESOURCE_ATTRIBUTES"] ?? string.Empty).Split(','))
        {
            if (attribute.Split('=', 2) is [var key, var value] && key.Trim() == "service.name" && !string.IsNullOrWhiteSpace(value))
            {
                return Uri.UnescapeDataString(value.Trim());
            }
        }

        return ServiceName;
    }

    /// <summary>ASP.NET Core's own request logging: its request lines, and its scope on every line of a request.</summary>
    public const string HostingCategory = "Microsoft.AspNetCore.Hosting.Diagnostics";

    /// <summary>The health-check service's own lines: an Error per failed <c>/readyz</c> poll (<see cref="ReadinessLog"/> says it instead).</summary>
    public const string HealthChecksCategory = "Microsoft.Extensions.Diagnostics.HealthChecks";

    /// <summary>
    /// MVC's JSON input formatter: at Debug it logs System.Text.Json's message for a body it cannot read, which quotes the
    /// token it stopped at — a secret sent unquoted (<c>"key": n…</c>) whole (a probe). The client's 400 names the field.
    /// </summary>
    public const string JsonInputFormatterCategory = "Microsoft.AspNetCore.Mvc.Formatters.SystemTextJsonInputFormatter";

    /// <summary>
    /// Asks ASP.NET Core for each request's activity (its trace and span ids, an upstream <c>traceparent</c>'s trace id
    /// kept) without recording it: it makes one only when something listens, and its hosting log category, which did,
    /// is off. Process-wide, registered once.
    /// </summary>
    private static readonly Lazy<ActivityListener> RequestActivities = new(() =>
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Microsoft.AspNetCore",
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.PropagationData,
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    });

    /// <summary>
    /// Kestrel's lines about requests it refuses itself: at Debug each quotes the malformed request line or header line
    /// whole, and a client that writes <c>Authorization : Basic …</c> (a space before the colon, a stray CR) had its
    /// credentials in the log, and in the OTLP export (a probe). Kestrel quotes them in its errors only while this category
    /// logs at Information; the client's 400 says what was wrong (<see cref="FrontDoor.ServerRefusalEnvelopes"/>).
    /// </summary>
    public const string KestrelBadRequestsCategory = "Microsoft.AspNetCore.Server.Kestrel.BadRequests";

    /// <summary>
    /// Kestrel's lines about connections: among them one Warning per connection closed at the connection limit, which a
    /// client opening thousands a second turns into as many lines (<see cref="FrontDoor.RejectedConnectionsLog"/> says them
    /// once a minute). Its other lines are at Debug, but for one at Information when the service aborts a connection.
    /// </summary>
    public const string KestrelConnectionsCategory = "Microsoft.AspNetCore.Server.Kestrel.Connections";

    /// <summary>The categories whose level is set in code, whatever the configuration says (<see cref="AddObservability"/>).</summary>
    private static readonly (string Category, LogLevel Level)[] ForcedLevels =
    [
        (HostingCategory, LogLevel.None),
        (HealthChecksCategory, LogLevel.None),
        (JsonInputFormatterCategory, LogLevel.Information),
        (KestrelBadRequestsCategory, LogLevel.Warning),
        (KestrelConnectionsCategory, LogLevel.Error),
    ];

    public static WebApplicationBuilder AddObservability(this WebApplicationBuilder builder)
    {
        builder.Logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);
        // ASP.NET Core's request scope held the whole path twice on every line (a client without credentials sending 8 KB
        // paths wrote 17 KB of log per 401: a probe); the request's own scope names it, cut (RequestLogScope). In code, so
        // that a deployment's own appsettings.json does not bring it back; its request lines were off already.
        // Likewise: a load balancer polling /readyz every second during an outage wrote an Error line per poll (an
        // operator's probe); ReadinessLog says it once, then once a minute. And a body's text, which can hold a secret, is
        // not logged at any level, nor a malformed header line Kestrel refused (credentials in it). For every provider a
        // rule names too: a rule of one provider (Logging:Console:LogLevel:Default=Debug) is chosen over every rule of
        // none, whatever its category, and brought the lines back (a review).
        // And a rule of a longer category under one of these (a class of the health-check namespace) would be chosen over
        // them: such rules go.
        builder.Services.PostConfigure<LoggerFilterOptions>(options =>
        {
            foreach (var longer in options.Rules.Where(rule => rule.CategoryName is { } category && ForcedLevels.Any(forced =>
                         category.Length > forced.Category.Length && category.StartsWith(forced.Category, StringComparison.OrdinalIgnoreCase))).ToList())
            {
                options.Rules.Remove(longer);
            }

            foreach (var provider in options.Rules.Select(rule => rule.ProviderName).Append(null).Distinct().ToList())
            {
                foreach (var (category, level) in ForcedLevels)
                {
                    options.Rules.Add(new LoggerFilterRule(provider, category, level, null));
                }
            }
        });
        _ = RequestActivities.Value;
        if (builder.Configuration[OtlpEndpointSetting] is not { } endpoint || string.IsNullOrWhiteSpace(endpoint))
        {
            return builder;
        }

        // As the exporter takes it: anything else (abc, ftp://…, a port past 65535) was sent to its default, localhost:4317,
        // without a word (a probe of every setting misconfigured).
        if (!Uri.TryCreate(endpoint.Trim(), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new StartupException($"{OtlpEndpointSetting} must be an absolute http(s) URL, such as http://otel-collector:4317; " +
                                       $"it is '{Domain.Common.Text.PrintableUrl(endpoint)}'.");
        }

        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(ServiceNameIn(builder.Configuration), serviceVersion: BuildVersion.Version, autoGenerateServiceInstanceId: false)
                .AddDetector(services => new ServiceInstanceDetector(services.GetRequiredService<Infrastructure.ServiceInstance>())))
            .WithTracing(t => t
                .AddAspNetCoreInstrumentation(o =>
                {
                    // Not the probes: a load balancer's polls would be most of the traces.
                    o.Filter = c => !HealthProbes.IsProbe(c.Request.Path); // (the paths exactly, as their metric is left out)
                    // No query string: the instrumentation redacts values after '=' only, and exported a secret a client
                    // put there bare (`?<secret>`, or as a name) as sent (a probe). The route and path stay, the path
                    // without a tenant user's email address (personal data: a trace store keeps it beyond the service).
                    o.EnrichWithHttpRequest = (activity, request) =>
                    {
                        activity.SetTag("url.query", null);
                        if (request.Path.Value is { } path && PathsWithoutAddresses.Of(path) is var logged && !ReferenceEquals(logged, path))
                        {
                            activity.SetTag("url.path", logged);
                        }
                    };
                })
                .AddNpgsql()
                .AddProcessor(new RaisedAnswersAreNoErrors())
                .AddOtlpExporter())
            .WithMetrics(m => m
                .AddAspNetCoreInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter("Npgsql", "Microsoft.EntityFrameworkCore", Application.Common.Metrics.ServiceMetrics.MeterName)
                .AddOtlpExporter());
        builder.Logging.AddOpenTelemetry(o =>
        {
            o.IncludeScopes = true;
            // The text as the console says it ("Request failed with 503 (…)"), which docs/operations.md tells operators to
            // search for: the record's body was the template alone ("Request failed with {Status} ({Reason})", a probe).
            o.IncludeFormattedMessage = true;
            o.AddOtlpExporter();
        });
        return builder;
    }
}
