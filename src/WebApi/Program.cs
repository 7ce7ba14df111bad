using System.Text.Json.Serialization;
using Mediator;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Provisioning.Application;
using Provisioning.Application.Common.Behaviors;
using Provisioning.Application.Common.Security;
using Provisioning.Infrastructure;
using Provisioning.WebApi.Authentication;
using Provisioning.WebApi.Contracts;
using Provisioning.WebApi.Errors;
using Provisioning.WebApi.Hosting;
using Provisioning.WebApi.Hosting.FrontDoor;
using Provisioning.WebApi.Hosting.OpenApi;
using Provisioning.WebApi.Hosting.Readiness;
using Provisioning.WebApi.Hosting.Verbs;
using Scalar.AspNetCore;

// Leading blank arguments skipped, as the configuration's reader skips blank ones: a script's unset "$EXTRA" first was
// taken for a mistyped verb, and the service did not start (a review).
args = args.SkipWhile(string.IsNullOrWhiteSpace).ToArray();
try
{
    // Operator verbs (migrate, rotate-secrets, create-account-key, delete-tenant, tenants, healthcheck); anything else serves the API.
    return OperatorCommands.IsVerb(args)
        ? await OperatorCommands.InvokeAsync(args)
        : await RunAsync(args);
}
catch (StartupException e)
{
    // Something an operator can fix: one sentence, no stack trace, a non-zero exit code.
    Console.Error.WriteLine($"Provisioning cannot start: {e.Message}");
    return 1;
}

static async Task<int> RunAsync(string[] args)
{
var app = Program.CreateApp(args);
var generatingOpenApiDocument = Program.GeneratingOpenApiDocument;
var publicUrls = app.Services.GetRequiredService<PublicUrls>();
if (!generatingOpenApiDocument)
{
    var configurationLog = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Provisioning.Configuration");
    SettingsFolder.Say(app.Configuration, configurationLog);
    UnknownSettings.Warn(app.Configuration, configurationLog);
    PoolShares.Warn(app.Services, configurationLog);
}

// The database is prepared (the EF model built, migrations, the master-key check, the root tenant) on another thread while
// this one builds the pipeline and discovers the controllers: start-up is mostly CPU, and there are two cores to use. The
// server starts only once both are done, so nothing is served before the database is ready, as before.
var databasePrepared = generatingOpenApiDocument
    ? Task.CompletedTask
    : Task.Run(() => StartupChecks.RunAsync(() => app.PrepareDatabaseAsync(), app.Configuration));

app.UseMiddleware<RequestIdMiddleware>();
app.UseExceptionHandler();
app.UseStatusCodePages(context =>
{
    var status = context.HttpContext.Response.StatusCode;
    HeadRequests.NameHeadWhereGetIsAllowed(context.HttpContext.Response);
    var (code, title) = ErrorEnvelope.ForStatus(status);
    if (status == StatusCodes.Status404NotFound && context.HttpContext.GetEndpoint() is null)
    {
        // Not a missing record: a route of Sunshine's messaging API, or a typo in the path — such as the '//' of a base URL
        // that ends in '/' joined to a route (a client's basePath).
        title = context.HttpContext.Request.Path.Value?.Contains("//", StringComparison.Ordinal) == true
            ? ErrorEnvelope.EmptySegment
            : ErrorEnvelope.NoRoute;
    }

    return ErrorEnvelope.WriteAsync(context.HttpContext, status, code, title);
});
var forwardedAddressWarnings = app.Services.GetRequiredService<ForwardedAddressWarnings>();
app.Use((context, next) =>
{
    forwardedAddressWarnings.Note(context, publicUrls.NotePeer(context));
    return next(context);
});
if (publicUrls.HasTrustedProxies)
{
    app.UseForwardedHeaders();
}

app.UseMiddleware<RequestLimitsMiddleware>();

// Probes answer here, before routing, authentication and the rate limiter: they need no credentials, and /healthz stays
// 200 while the database (and with it the credential store) is away. /healthz checks nothing, so it is answered directly.
app.Use(HealthProbes.AnswerLiveOrNext);
app.UseHealthChecks(HealthProbes.Ready, new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") });

app.Use(HeadRequests.AnswerAsGet);
app.UseRouting();
app.Use(RateLimiting.GuardFailedAttempts);
app.UseAuthentication();
app.Use(ConfigureJwtBearerOptions.RaiseDeferredFailure);
app.Use(RequestLogScope.NoteCaller);
app.UseRateLimiter();
app.Use(app.Services.GetRequiredService<CustomerConcurrency>().InvokeAsync);
app.Use(app.Services.GetRequiredService<OpenApiDocumentCache>().InvokeAsync);
app.UseAuthorization();
app.UseMiddleware<OnBehalfOfMiddleware>();
app.UseMiddleware<Provisioning.WebApi.Idempotency.IdempotencyMiddleware>();

// The one document by its own path: a "{documentName}" route let the endpoint answer every other name itself, in plain text
// echoing the name (outside the error contract); the reference page still asks for "/openapi/{documentName}.json" = v1.
app.MapOpenApi(OpenApiDocumentCache.Path).AllowAnonymous();
// A self-hosted reference page: nothing fetched from or sent to the vendor (its fonts, telemetry, the "Ask AI" agent that
// uploads the API description, the "Open API Client" link that hands its web app this document's address), no vendor
// toolbar (its "Deploy", "Generate SDK" offers showed on a 127.0.0.1 address).
app.MapScalarApiReference("/docs", o => o.WithOpenApiRoutePattern("/openapi/{documentName}.json").WithDynamicBaseServerUrl()
        .WithTitle("Provisioning API").DisableDefaultFonts().DisableTelemetry().DisableAgent().HideDeveloperTools().HideClientButton())
    .AllowAnonymous();
app.MapControllers();
if (!generatingOpenApiDocument)
{
    // Controllers and their routes are discovered here, not on the first request, while the database is being prepared.
    _ = app.Services.GetRequiredService<Microsoft.AspNetCore.Mvc.Infrastructure.IActionDescriptorCollectionProvider>().ActionDescriptors;
}

await databasePrepared;
try
{
    await StartupChecks.RunAsync(() => app.StartAsync(), app.Configuration);
}
catch (StartupException) when (!generatingOpenApiDocument)
{
    app.AnnounceRootKey(listening: false); // a first start that made the root, then found its port taken
    throw;
}

if (!generatingOpenApiDocument)
{
    app.AnnounceRootKey();
}

try
{
    await app.WaitForShutdownAsync();
}
finally
{
    // Disposed, not left to the process's exit: what singletons hold back is said then (a flood's count of refusals, slow
    // requests or faults not yet on a line: OnceEvery), and the console logger's queue is written out before the exit. At
    // most a few seconds: OpenTelemetry's providers export what they hold as they go, each waiting for a collector that
    // does not answer, and a stop must stay within an orchestrator's grace (docker stop: 10 s).
    try
    {
        await app.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5));
    }
    catch (TimeoutException)
    {
        Console.Error.WriteLine("Provisioning: the stop did not finish releasing its resources within 5 s (an OpenTelemetry collector that does not answer?); exiting.");
    }
}

return 0;
}

/// <summary>Entry point, visible to WebApplicationFactory in the integration tests.</summary>
public partial class Program
{
    /// <summary>
    /// When a build asks for the OpenAPI document (scripts/generate-clients), it is generated by loading this app
    /// (GetDocument.Insider): it needs the endpoints, not a database, secrets or background work.
    /// </summary>
    public static bool GeneratingOpenApiDocument =>
        System.Reflection.Assembly.GetEntryAssembly()?.GetName().Name == "GetDocument.Insider";

    /// <summary>
    /// Where the service listens when nothing says (no <c>--urls</c>, <c>ASPNETCORE_URLS</c>, <c>ASPNETCORE_HTTP_PORTS</c> or
    /// Kestrel endpoints): what README, the <c>healthcheck</c> verb and the container say, not ASP.NET Core's localhost:5000.
    /// </summary>
    public const string DefaultUrl = "http://127.0.0.1:8080";

    /// <summary>
    /// A builder with the service's configuration, as every start reads it: appsettings.json (found next to the published
    /// assembly wherever the service is started from) and appsettings.{environment}.json, the environment, a settings folder
    /// (<see cref="SettingsFolder"/>), the command line. The API, the operator verbs and <c>healthcheck</c>'s default URL.
    /// </summary>
    public static WebApplicationBuilder CreateConfiguredBuilder(string[] args)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        SettingsFolder.AddTo(builder.Configuration); // before anything reads a setting
        return builder;
    }

    /// <summary>The service with all its configuration and services, built but not started (the API and the operator verbs share it).</summary>
    public static WebApplication CreateApp(string[] args)
    {
        var builder = CreateConfiguredBuilder(args);
        StartupChecks.Run(() => SettingShapes.CheckEnvironment(Environment.GetEnvironmentVariables()));
        StartupChecks.Run(() => SettingShapes.Check(builder.Configuration)); // before anything binds one
        StartupChecks.Run(() => ListeningAddresses.Check(builder.Configuration));

        builder.AddObservability();
        builder.WebHost.ConfigureKestrel(RequestLimitsMiddleware.ConfigureKestrel);
        var connections = StartupChecks.Run(() => ConnectionLimit.Configured(builder.Configuration));
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxConcurrentConnections = connections);
        if (ListeningAddresses.NothingSays(builder.Configuration))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        builder.Services.AddOptions<BootstrapOptions>().Bind(builder.Configuration.GetSection(BootstrapOptions.Section));
        builder.Services.AddSingleton<IValidateOptions<BootstrapOptions>, BootstrapOptionsValidation>();
        builder.Services.Configure<DatabaseOptions>(builder.Configuration.GetSection(DatabaseOptions.Section));
        builder.Services.AddSingleton<BootstrapOutcome>();

        builder.Services.AddApplication();
        builder.Services.AddInfrastructure(builder.Configuration, builder.Environment);
        builder.Services.AddMediator((MediatorOptions options) =>
        {
            options.ServiceLifetime = ServiceLifetime.Scoped;
            options.Assemblies = [typeof(Provisioning.Application.DependencyInjection)];
            options.PipelineBehaviors =
            [
                typeof(LoggingBehavior<,>),
                typeof(UnhandledExceptionBehavior<,>),
                typeof(AuthorizationBehavior<,>),
                typeof(ValidationBehavior<,>),
                typeof(TransactionBehavior<,>),
                typeof(AuditBehavior<,>),
                typeof(PerformanceBehavior<,>),
            ];
        });

        builder.Services.AddHttpContextAccessor();
        builder.Services.AddScoped<ICallerContext, HttpCallerContext>();
        builder.Services.AddSingleton<VerifiedTokens>();
        builder.Services.AddSingleton<IConfigureOptions<JwtBearerOptions>, ConfigureJwtBearerOptions>();
        builder.Services
            .AddAuthentication(AuthenticationSchemes.Default)
            // Authorization on more than one line goes to the credentials handler, which refuses it (one field, RFC 9110): the
            // lines read joined skip an empty one, and a JWT beside an empty line was let through (a probe).
            .AddPolicyScheme(AuthenticationSchemes.Default, "Basic, bearer token or JWT", o => o.ForwardDefaultSelector = context =>
                context.Request.Headers.Authorization is { Count: 1 } authorization && AuthenticationSchemes.BearerJwt(authorization.ToString()) is not null
                    ? AuthenticationSchemes.Jwt
                    : AuthenticationSchemes.Credentials)
            .AddJwtBearer(AuthenticationSchemes.Jwt, _ => { })
            .AddScheme<AuthenticationSchemeOptions, CredentialsAuthenticationHandler>(AuthenticationSchemes.Credentials, _ => { });
        // AddAuthentication brings ASP.NET Core's data protection (for cookie schemes) and with it a start-up service that
        // loads its key ring — and on a first start creates one and writes it to ~/.aspnet/DataProtection-Keys, in plain
        // XML. Nothing here protects data with it (no cookies, no antiforgery: secrets are sealed by the master key), so
        // that service goes: no key file in the user's home, no warning about it. The provider stays
        // registered and would load lazily if anything ever asked for it.
        foreach (var keyRingAtStart in builder.Services.Where(d => d.ServiceType == typeof(IHostedService)
                     && d.ImplementationType?.FullName == "Microsoft.AspNetCore.DataProtection.Internal.DataProtectionHostedService").ToList())
        {
            builder.Services.Remove(keyRingAtStart);
        }

        // Naming no scheme: the user UseAuthentication found with the default scheme (the same one) is the one checked. A
        // policy naming the scheme made authorization authenticate every request a second time (a cached result, but the
        // forwarding, the handler's lookup, a new result and ticket each time).
        builder.Services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());

        builder.Services.AddExceptionHandler<ApiExceptionHandler>();
        builder.Services.AddSingleton<ApiExceptionHandler>();
        // UseExceptionHandler() needs the problem-details service registered to pick up IExceptionHandler; the body is ours.
        builder.Services.AddProblemDetails();
        // Numbers are numbers: "5" for an integer field is a 400, and the OpenAPI schema says integer.
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.NumberHandling = JsonNumberHandling.Strict);
        builder.Services
            .AddControllers(o =>
            {
                o.Filters.Add(new SingleValuedQueryFilter());
                o.Filters.Add(new JsonBodyTextFilter());
            })
            .AddJsonOptions(o =>
            {
                o.JsonSerializerOptions.NumberHandling = JsonNumberHandling.Strict;
                o.JsonSerializerOptions.MaxDepth = JsonBodyText.MaxDepth;
                o.JsonSerializerOptions.Converters.Add(new SafeStringConverter());
                o.JsonSerializerOptions.Converters.Add(new UnicodeJsonElementConverter());
                o.JsonSerializerOptions.Converters.Add(new Rfc3339Converter());
                o.JsonSerializerOptions.Converters.Add(new WholeNumberConverter());
                // {"displayName":"a","displayName":"b"} is a 400, not whichever came last.
                o.JsonSerializerOptions.AllowDuplicateProperties = false;
                // A field the body does not have is a 400 naming it, not dropped in silence (a misspelt setting, v1.1's "name"
                // in a v2 PATCH): every request body, unless its type says otherwise (provisioning's, open to DailyStory-style
                // clients, keeps what it does not read). The OpenAPI document's closed request schemas are read from this.
                o.JsonSerializerOptions.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
            })
            .ConfigureApiBehaviorOptions(o =>
            {
                o.SuppressMapClientErrors = true;
                o.InvalidModelStateResponseFactory = ModelStateErrors.ToResult;
            });

        var publicUrls = StartupChecks.Run(() => new PublicUrls(builder.Configuration));
        builder.Services.AddSingleton(publicUrls);
        builder.Services.AddSingleton<ForwardedAddressWarnings>();
        builder.Services.Configure<ForwardedHeadersOptions>(publicUrls.Configure);
        builder.Services.AddProvisioningRateLimiting(builder.Configuration);
        builder.Services.AddSingleton<ReadinessLog>();
        var readinessReuse = ReadinessOptions.Read(builder.Configuration);
        builder.Services.AddSingleton(services => new ReadinessReuse(readinessReuse, services.GetRequiredService<TimeProvider>()));
        builder.Services.AddHealthChecks().AddCheck<DatabaseReadyHealthCheck>("database", tags: ["ready"]);
        builder.Services.AddProvisioningOpenApi();
        builder.Services.AddSingleton<OpenApiDocumentCache>();
        builder.Services.AddHostedService<RejectedConnectionsLog>();
        if (GeneratingOpenApiDocument)
        {
            builder.Services.RemoveAll<IHostedService>();
        }

        var app = builder.Build();

        if (!GeneratingOpenApiDocument)
        {
            // Refuse to start, saying why, when the connection string or the master key is missing, or a setting is out of
            // range (before the database is reached: its refusal hid the setting's, so an operator fixed one to meet the other).
            StartupChecks.Run(() => Provisioning.Infrastructure.DependencyInjection.ValidateConfiguration(app.Configuration, app.Environment));
            StartupChecks.Run(() => app.Services.GetRequiredService<IOptions<BootstrapOptions>>().Value);
            StartupChecks.Run(() => app.Services.GetRequiredService<IOptions<DatabaseOptions>>().Value); // "maybe": here, not after the database
            StartupChecks.Run(() => app.Services.GetRequiredService<IOptions<Provisioning.Infrastructure.Credentials.CredentialLookupOptions>>().Value);
            StartupChecks.Run(() => app.Services.GetRequiredService<IOptions<Provisioning.Infrastructure.Security.JwtOptions>>().Value);
            StartupChecks.Run(() => app.Services.GetRequiredService<IOptions<Provisioning.Infrastructure.Retention.RetentionOptions>>().Value);
        }

        return app;
    }
}
