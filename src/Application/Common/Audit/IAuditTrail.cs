using Provisioning.Domain.Audit;
using Provisioning.Domain.Common;

namespace Provisioning.Application.Common.Audit;

/// <summary>
/// What a handler of an <see cref="IAuditedCommand"/> tells the audit trail. The rest of the event (type, actor,
/// On-Behalf-Of, request id, time) is known without it.
/// </summary>
public interface IAuditTrail
{
    /// <summary>
    /// Records the change the running command made: the resource it touched, the names of the fields it changed (never their
    /// values), the resource's owner when it has one, and the tenant it happened in when that is not the caller's acting
    /// tenant (operator commands). The event is written in the command's transaction and sent with its
    /// <c>COMMIT</c> (in no round trip of its own), so it may be recorded before or after the handler's save.
    /// </summary>
    void Record(AuditResource resource, IEnumerable<string>? changes = null, AuditResource? related = null, TenantId? tenantId = null);

    /// <summary>Records the change when the request set at least one field; otherwise <see cref="NothingChanged"/> (an empty PATCH).</summary>
    void RecordIfChanged(AuditResource resource, IEnumerable<string> changes, AuditResource? related = null, TenantId? tenantId = null);

    /// <summary>The command succeeded without changing anything (adding a user who is already there): no event.</summary>
    void NothingChanged();

    /// <summary>When the event this command recorded happened (it is written with the COMMIT, so not yet readable); null when none was.</summary>
    DateTimeOffset? RecordedAt { get; }
}
