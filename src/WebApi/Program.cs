using System.Text.Json.Serialization;
using Mediator;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Provisioning.Application;
using Provisioning.Application.Common.Behaviors;
using Provisioning.Application.Common.Security;
using Provisioning.Application.Tenants.Commands.BootstrapRootTenant;
using Provisioning.Infrastructure;
using Provisioning.WebApi.Authentication;
using Provisioning.WebApi.Contracts;
using Provisioning.WebApi.Errors;
using Provisioning.WebApi.Hosting;
using Scalar.AspNetCore;

if (args is ["healthcheck", ..])
{
    return await HealthCheckCommand.RunAsync(args);
}

try
{
    return await RunAsync(args);
}
catch (StartupException e)
{
    // Something an operator can fix: one sentence, no stack trace, a non-zero exit code.
    Console.Error.WriteLine($"Provisioning cannot start: {e.Message}");
    return 1;
}

static async Task<int> RunAsync(string[] args)
{
// appsettings.json is found next to the published assembly wherever the service is started from.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });

builder.AddObservability();
builder.WebHost.ConfigureKestrel(RequestLimitsMiddleware.ConfigureKestrel);

builder.Services.AddOptions<BootstrapOptions>().Bind(builder.Configuration.GetSection(BootstrapOptions.Section))
    .Validate(o => string.IsNullOrEmpty(o.Secret) || o.Secret.Length >= BootstrapRootTenantCommandHandler.MinSecretLength,
        $"Provisioning:Bootstrap:Secret must be at least {BootstrapRootTenantCommandHandler.MinSecretLength} characters (it is also an HS256 key).");
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
        typeof(PerformanceBehavior<,>),
    ];
});

builder.Services.AddHttpContextAccessor();
builder.Services.AddScoped<ICallerContext, HttpCallerContext>();
builder.Services.AddSingleton<IConfigureOptions<JwtBearerOptions>, ConfigureJwtBearerOptions>();
builder.Services
    .AddAuthentication(AuthenticationSchemes.Default)
    .AddPolicyScheme(AuthenticationSchemes.Default, "Basic, bearer token or JWT", o => o.ForwardDefaultSelector = context =>
    {
        var authorization = context.Request.Headers.Authorization.ToString();
        return authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
               && AuthenticationSchemes.LooksLikeJwt(authorization["Bearer ".Length..].Trim())
            ? AuthenticationSchemes.Jwt
            : AuthenticationSchemes.Credentials;
    })
    .AddJwtBearer(AuthenticationSchemes.Jwt, _ => { })
    .AddScheme<AuthenticationSchemeOptions, CredentialsAuthenticationHandler>(AuthenticationSchemes.Credentials, _ => { });
builder.Services.AddAuthorizationBuilder()
    .SetFallbackPolicy(new AuthorizationPolicyBuilder(AuthenticationSchemes.Default).RequireAuthenticatedUser().Build());

builder.Services.AddExceptionHandler<ApiExceptionHandler>();
// UseExceptionHandler() needs the problem-details service registered to pick up IExceptionHandler; the body is ours.
builder.Services.AddProblemDetails();
// Numbers are numbers: "5" for an integer field is a 400, and the OpenAPI schema says integer.
builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.NumberHandling = JsonNumberHandling.Strict);
builder.Services
    .AddControllers()
    .AddJsonOptions(o =>
    {
        o.JsonSerializerOptions.NumberHandling = JsonNumberHandling.Strict;
        o.JsonSerializerOptions.Converters.Add(new SafeStringConverter());
    })
    .ConfigureApiBehaviorOptions(o =>
    {
        o.SuppressMapClientErrors = true;
        o.InvalidModelStateResponseFactory = ModelStateErrors.ToResult;
    });

var publicUrls = StartupChecks.Run(() => new PublicUrls(builder.Configuration));
builder.Services.AddSingleton(publicUrls);
builder.Services.Configure<ForwardedHeadersOptions>(publicUrls.Configure);
builder.Services.AddProvisioningRateLimiting(builder.Configuration);
builder.Services.AddHealthChecks().AddCheck<DatabaseReadyHealthCheck>("database", tags: ["ready"]);
builder.Services.AddProvisioningOpenApi();

var app = builder.Build();

// At build time the OpenAPI document is generated by loading this app (GetDocument.Insider):
// it needs the endpoints, not a database or secrets.
var generatingOpenApiDocument = System.Reflection.Assembly.GetEntryAssembly()?.GetName().Name == "GetDocument.Insider";
if (!generatingOpenApiDocument)
{
    // Refuse to start, saying why, when the connection string or the master key is missing.
    StartupChecks.Run(() => Provisioning.Infrastructure.DependencyInjection.ValidateConfiguration(app.Configuration, app.Environment));
    StartupChecks.Run(() => app.Services.GetRequiredService<IOptions<BootstrapOptions>>().Value);
}

if (args.Contains("migrate"))
{
    // CLI verb: apply migrations and exit (for deployments that migrate as a separate step).
    await StartupChecks.RunAsync(() => app.Services.MigrateDatabaseAsync(), app.Configuration);
    return 0;
}

if (!generatingOpenApiDocument)
{
    await StartupChecks.RunAsync(() => app.PrepareDatabaseAsync(), app.Configuration);
}

app.UseMiddleware<RequestIdMiddleware>();
app.UseExceptionHandler();
app.UseStatusCodePages(context =>
{
    var status = context.HttpContext.Response.StatusCode;
    var (code, title) = ErrorEnvelope.ForStatus(status);
    return ErrorEnvelope.WriteAsync(context.HttpContext, status, code, title);
});
if (publicUrls.HasTrustedProxies)
{
    app.Use((context, next) =>
    {
        publicUrls.NotePeer(context);
        return next(context);
    });
    app.UseForwardedHeaders();
}

app.UseMiddleware<RequestLimitsMiddleware>();
app.UseRouting();
app.UseAuthentication();
app.UseMiddleware<RequestLogScopeMiddleware>();
app.UseRateLimiter();
app.UseAuthorization();
app.UseMiddleware<OnBehalfOfMiddleware>();

app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") }).AllowAnonymous();
app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();
app.MapScalarApiReference("/docs", o => o.WithOpenApiRoutePattern("/openapi/{documentName}.json").WithDynamicBaseServerUrl()).AllowAnonymous();
app.MapControllers();

await StartupChecks.RunAsync(() => app.StartAsync(), app.Configuration);
if (!generatingOpenApiDocument)
{
    app.AnnounceRootKey();
}

await app.WaitForShutdownAsync();
return 0;
}

/// <summary>Entry point, visible to WebApplicationFactory in the integration tests.</summary>
public partial class Program;
