using Provisioning.Domain.Audit;

namespace Provisioning.Application.Common.Audit;

/// <summary>
/// A command that changes state. Each one writes exactly one audit event in its own transaction (its handler says what it
/// touched through <see cref="IAuditTrail"/>); the event's type comes from here. An architecture test holds every
/// command to it.
/// </summary>
public interface IAuditedCommand
{
    AuditEventType EventType { get; }
}
