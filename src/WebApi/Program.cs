using Mediator;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using Provisioning.Application;
using Provisioning.Application.Common.Behaviors;
using Provisioning.Application.Common.Security;
using Provisioning.Infrastructure;
using Provisioning.WebApi.Authentication;
using Provisioning.WebApi.Errors;
using Provisioning.WebApi.Hosting;
using Scalar.AspNetCore;

if (args is ["healthcheck", ..])
{
    return await HealthCheckCommand.RunAsync(args);
}

var builder = WebApplication.CreateBuilder(args);

builder.AddObservability();
builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = RequestBodyLimitMiddleware.MaxBodyBytes);

builder.Services.Configure<BootstrapOptions>(builder.Configuration.GetSection(BootstrapOptions.Section));
builder.Services.Configure<DatabaseOptions>(builder.Configuration.GetSection(DatabaseOptions.Section));

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
builder.Services.AddProblemDetails();
builder.Services
    .AddControllers()
    .ConfigureApiBehaviorOptions(o =>
    {
        o.SuppressMapClientErrors = true;
        o.InvalidModelStateResponseFactory = ModelStateErrors.ToResult;
    });

builder.Services.AddHealthChecks().AddCheck<DatabaseReadyHealthCheck>("database", tags: ["ready"]);
builder.Services.AddOpenApi("v1", o => o.OpenApiVersion = OpenApiSpecVersion.OpenApi3_0);

var app = builder.Build();

if (args.Contains("migrate"))
{
    // CLI verb: apply migrations and exit (for deployments that migrate as a separate step).
    await app.Services.MigrateDatabaseAsync();
    return 0;
}

await app.PrepareDatabaseAsync();

app.UseExceptionHandler();
app.UseStatusCodePages(context =>
{
    var status = context.HttpContext.Response.StatusCode;
    var (code, title) = ErrorEnvelope.ForStatus(status);
    return ErrorEnvelope.WriteAsync(context.HttpContext, status, code, title);
});
app.UseMiddleware<RequestBodyLimitMiddleware>();
app.UseRouting();
app.UseAuthentication();
app.UseMiddleware<RequestLogScopeMiddleware>();
app.UseAuthorization();
app.UseMiddleware<OnBehalfOfMiddleware>();

app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") }).AllowAnonymous();
app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();
app.MapScalarApiReference("/docs", o => o.WithOpenApiRoutePattern("/openapi/{documentName}.json")).AllowAnonymous();
app.MapControllers();

await app.RunAsync();
return 0;

/// <summary>Entry point, visible to WebApplicationFactory in the integration tests.</summary>
public partial class Program;
