using Provisioning.Application.Common.Paging;
using Provisioning.Domain.Audit;
using Provisioning.Domain.Common;

namespace Provisioning.Application.Common.Abstractions;

/// <summary>Reads audit events as one tenant may see them: its own and its descendants'.</summary>
public interface IAuditEventReader
{
    /// <summary>
    /// One page, oldest first, of the events <paramref name="viewer"/> may see, narrowed by <paramref name="filter"/>
    /// (<see cref="AuditEventFilter.TenantId"/> must already be the viewer or a descendant, or a tenant whose events the
    /// viewer sees: <see cref="SeesEventsOfAsync"/>).
    /// </summary>
    Task<Page<AuditEvent>> PageAsync(TenantId viewer, AuditEventFilter filter, PageRequest page, CancellationToken cancellationToken);

    /// <summary>
    /// Whether <paramref name="viewer"/> sees the events that happened in <paramref name="tenant"/>, which may be gone: a
    /// deleted descendant's trail outlives it. False for a tenant with no events.
    /// </summary>
    Task<bool> SeesEventsOfAsync(TenantId viewer, TenantId tenant, CancellationToken cancellationToken);
}
