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
    /// Records the change the running command made: the resource it touched, the names of the fields it set (never their
    /// values), the resource's owner when it has one, and the tenant it happened in when that is not the caller's acting
    /// tenant (operator commands). Call it before the handler's <c>SaveChangesAsync</c> and the event goes in the same
    /// round trip.
    /// </summary>
    void Record(AuditResource resource, IEnumerable<string>? changes = null, AuditResource? related = null, TenantId? tenantId = null);

    /// <summary>Records the change when the request set at least one field; otherwise <see cref="NothingChanged"/> (an empty PATCH).</summary>
    void RecordIfChanged(AuditResource resource, IEnumerable<string> changes, AuditResource? related = null, TenantId? tenantId = null);

    /// <summary>The command succeeded without changing anything (adding a user who is already there): no event.</summary>
    void NothingChanged();
}
