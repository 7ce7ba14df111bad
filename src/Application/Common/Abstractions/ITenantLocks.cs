using Provisioning.Domain.Common;

namespace Provisioning.Application.Common.Abstractions;

/// <summary>Row locks that make per-tenant limits hold under concurrent requests.</summary>
public interface ITenantLocks
{
    /// <summary>Locks the tenant's row until the current transaction ends (SELECT … FOR UPDATE).</summary>
    Task LockAsync(TenantId tenantId, CancellationToken cancellationToken);
}
