using Provisioning.Domain.Common;

namespace Provisioning.Infrastructure.Audit;

/// <summary>An address to erase (<see cref="AddressErasure"/>) is still a user of the <paramref name="tenants"/> named: it must be removed there first.</summary>
public sealed class AddressStillInUseException(string tenants) : ExpectedException("conflict", 409,
    $"The address is still a user of tenant(s) {tenants}: remove it there first (DELETE /v2/tenants/{{tenantId}}/users/{{email}}, or delete " +
    "the tenant), then erase it: while a tenant has it as a user, that tenant's row and its next event hold it again. Nothing was erased.");
