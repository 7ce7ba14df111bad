using Provisioning.Domain.Common;

namespace Provisioning.Infrastructure.Audit;

/// <summary>An address to erase (<see cref="AddressErasure"/>) is still, or again, in use: nothing was erased.</summary>
public sealed class AddressStillInUseException(string message) : ExpectedException("conflict", 409, message)
{
    /// <summary>The refusal for an address that is a user of the <paramref name="tenants"/> named.</summary>
    public static string UserOf(string tenants) =>
        $"The address is still a user of tenant(s) {tenants}: remove it there first (DELETE /v2/tenants/{{tenantId}}/users/{{email}}, or delete " +
        "the tenant), then erase it: while a tenant has it as a user, that tenant's row and its next event hold it again. Nothing was erased.";
}
