namespace Provisioning.WebApi.Contracts;

public sealed record AddTenantUserRequest(string? Email);
