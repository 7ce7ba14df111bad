namespace Provisioning.Application.Tenants.Commands.AddTenantUser;

public sealed record AddTenantUserResult(TenantUserDto User, bool Created);
