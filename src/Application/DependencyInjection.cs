using FluentValidation;
using Microsoft.Extensions.DependencyInjection;

namespace Provisioning.Application;

public static class DependencyInjection
{
    /// <summary>Registers the validators. The mediator itself is generated and registered by the host (WebApi).</summary>
    public static IServiceCollection AddApplication(this IServiceCollection services)
    {
        services.AddValidatorsFromAssembly(typeof(DependencyInjection).Assembly, ServiceLifetime.Singleton, includeInternalTypes: true);
        services.AddSingleton<Common.Metrics.ServiceMetrics>();
        services.AddSingleton<Common.Logging.SlowMessages>();
        services.AddSingleton<Common.Logging.FaultLines>();
        services.AddScoped<Keys.KeyIssuer>();
        services.AddScoped<Tenants.Commands.DeleteTenant.SubtreeDeletion>();
        services.AddScoped<Common.Audit.AuditTrail>();
        services.AddScoped<Common.Audit.IAuditTrail>(sp => sp.GetRequiredService<Common.Audit.AuditTrail>());
        return services;
    }
}
