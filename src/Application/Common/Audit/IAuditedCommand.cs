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

    /// <summary>
    /// The type of the event the change makes, given the fields it named: <see cref="EventType"/> for most commands. A
    /// command whose kind of change depends on what actually changed (a tenant PATCH that may or may not change its
    /// status) says so here.
    /// </summary>
    AuditEventType EventTypeFor(IReadOnlyCollection<string> changes) => EventType;
}
