using Provisioning.Application.Tenants;

namespace Provisioning.WebApi.Contracts;

public sealed record TenantResponse(TenantDto Tenant);
