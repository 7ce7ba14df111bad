using Provisioning.Domain.Common;

namespace Provisioning.Domain.Tenants;

/// <summary>
/// A resumption sent by a tenant below the one whose suspension it is (<see cref="Tenant.SuspendedBy"/>): 403. A reseller
/// between a vendor and the customer the vendor suspended cannot lift the vendor's decision (a tree probe: it could).
/// </summary>
public sealed class SuspensionHeldAboveException()
    : ExpectedException("forbidden", 403,
        "This tenant was suspended by a tenant above yours: only that tenant, or one above it, may resume it.");
