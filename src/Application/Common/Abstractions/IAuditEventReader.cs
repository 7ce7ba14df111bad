using Provisioning.Application.Common.Paging;
using Provisioning.Domain.Audit;
using Provisioning.Domain.Common;

namespace Provisioning.Application.Common.Abstractions;

/// <summary>Reads audit events as one tenant may see them: its own and its descendants'.</summary>
public interface IAuditEventReader
{
    /// <summary>
    /// One page, oldest first, of the events <paramref name="viewer"/> may see, narrowed by <paramref name="filter"/>
    /// (<see cref="AuditEventFilter.TenantId"/> must already be the viewer or a descendant).
    /// </summary>
    Task<Page<AuditEvent>> PageAsync(TenantId viewer, AuditEventFilter filter, PageRequest page, CancellationToken cancellationToken);
}
