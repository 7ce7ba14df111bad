using Provisioning.Domain.Tenants;

namespace Provisioning.Application.Common.Abstractions;

/// <summary>
/// What a tenant's view reads besides the tenant's own row, in one round trip (a GET of a tenant is a "who am I" that
/// integrations call often; it was five round trips, and their cost on both sides was most of its time).
/// </summary>
public interface ITenantViewReads
{
    Task<TenantViewData> ReadAsync(Tenant tenant, CancellationToken cancellationToken);
}
