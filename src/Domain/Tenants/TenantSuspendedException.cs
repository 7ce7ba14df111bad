using Provisioning.Domain.Common;

namespace Provisioning.Domain.Tenants;

/// <summary>The caller's tenant, or one of its ancestors, is suspended; or the target of a provisioning is: 403.</summary>
public sealed class TenantSuspendedException()
    : ExpectedException("tenant_suspended", 403, "This tenant, or one of its ancestors, is suspended.");
