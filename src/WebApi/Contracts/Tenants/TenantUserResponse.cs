using Provisioning.Application.Tenants;

namespace Provisioning.WebApi.Contracts;

public sealed record TenantUserResponse(TenantUserDto User);
