using Provisioning.Domain.Common;

namespace Provisioning.Infrastructure.Audit;

/// <summary>
/// "This tenant may read this event": one row per tenant from the root down to the event's tenant, written by a trigger
/// in the event's transaction. A tenant's page of events is one range of the primary key, however many events exist.
/// </summary>
internal sealed class AuditEventViewer
{
    public TenantId ViewerTenantId { get; private set; }
    public string EventId { get; private set; } = string.Empty;
    public string Type { get; private set; } = string.Empty;
}
