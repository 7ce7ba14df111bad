using Provisioning.Application.Tenants;

namespace Provisioning.WebApi.Contracts;

public sealed record TenantUserListResponse(IReadOnlyList<TenantUserDto> Users);
