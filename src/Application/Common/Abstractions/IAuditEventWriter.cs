using Provisioning.Domain.Audit;

namespace Provisioning.Application.Common.Abstractions;

/// <summary>
/// Writes an audit event in the unit of work's current transaction: it commits with the change it describes, or not at
/// all. Nothing in the request reads the event back, so it may be sent as late as the <c>COMMIT</c>.
/// </summary>
public interface IAuditEventWriter
{
    void Write(AuditEvent auditEvent);
}
