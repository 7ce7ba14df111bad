namespace Provisioning.WebApi.Contracts;

/// <summary>
/// <c>POST /v2/tenants/{id}/users</c>: <c>{"email"}</c>, one address. Any other field is a 400 naming it (provisioning's
/// <c>emails</c> list was ignored here, and the request refused for a missing address: a probe).
/// </summary>
public sealed record AddTenantUserRequest([property: Hosting.OpenApi.SchemaLimits(Required = true, MaxLength = Domain.Tenants.TenantUser.MaxEmailLength)] string? Email);
