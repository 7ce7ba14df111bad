using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Security;
using Provisioning.Domain.Audit;
using Provisioning.Domain.Common;

namespace Provisioning.Application.Common.Audit;

/// <summary>
/// The request's audit trail: <see cref="Behaviors.AuditBehavior{TMessage,TResponse}"/> opens it for an audited command,
/// the handler records what it touched, and the behavior makes sure exactly one event (or an explicit "nothing changed")
/// came of it before the transaction commits.
/// </summary>
public sealed class AuditTrail(IAuditEventWriter events, ICallerContext callerContext, TimeProvider clock) : IAuditTrail
{
    private IAuditedCommand? _command;
    private AuditActor? _systemActor;
    private bool _done;

    public DateTimeOffset? RecordedAt { get; private set; }

    internal void Begin(IAuditedCommand command, bool isSystem)
    {
        _command = command;
        _systemActor = isSystem ? AuditActor.Operator : null;
        _done = false;
        RecordedAt = null;
    }

    public void Record(AuditResource resource, IEnumerable<string>? changes = null, AuditResource? related = null, TenantId? tenantId = null)
    {
        var command = _command ?? throw new InvalidOperationException("Only an audited command records an audit event.");
        if (_done)
        {
            throw new InvalidOperationException($"{command.EventType} recorded twice: a command writes one audit event.");
        }

        var named = changes as IReadOnlyCollection<string> ?? changes?.ToList() ?? [];
        var type = command.EventTypeFor(named);

        AuditActor actor;
        TenantId where;
        TenantId? onBehalfOf = null;
        if (_systemActor is { } system)
        {
            actor = system;
            where = tenantId ?? throw new InvalidOperationException("An operator command names the tenant its change happened in.");
        }
        else
        {
            var caller = callerContext.Caller;
            actor = new AuditActor(caller.KeyId.Value, ActorKind(caller), caller.HomeTenantId);
            where = tenantId ?? caller.TenantId;
            onBehalfOf = caller.TenantId != caller.HomeTenantId ? caller.TenantId : null;
        }

        var auditEvent = AuditEvent.Create(type, where, actor, onBehalfOf, resource, related, named, callerContext.RequestId, clock.GetUtcNow());
        events.Write(auditEvent);
        RecordedAt = auditEvent.CreatedAt;
        _done = true;
    }

    public void RecordIfChanged(AuditResource resource, IEnumerable<string> changes, AuditResource? related = null, TenantId? tenantId = null)
    {
        var named = changes.ToList();
        if (named.Count == 0)
        {
            NothingChanged();
            return;
        }

        Record(resource, named, related, tenantId);
    }

    public void NothingChanged() => _done = true;

    /// <summary>Fails loudly when the handler recorded nothing. (The event, once recorded, goes with the COMMIT.)</summary>
    internal void Complete()
    {
        var command = _command;
        _command = null;
        if (!_done)
        {
            throw new InvalidOperationException($"The handler of a {command?.EventType} command recorded no audit event.");
        }
    }

    private static string ActorKind(Caller caller) => caller.Kind switch
    {
        CallerKinds.Account => caller.ViaTenantToken ? AuditActor.TenantTokenKind : AuditActor.AccountKind,
        CallerKinds.ServiceAccount => AuditActor.ServiceAccountKind,
        CallerKinds.App => AuditActor.AppKind,
        _ => caller.Kind.ToString(),
    };
}
