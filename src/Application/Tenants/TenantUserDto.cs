namespace Provisioning.Application.Tenants;

public sealed record TenantUserDto(string Email, DateTimeOffset CreatedAt);
