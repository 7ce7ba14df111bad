using Provisioning.Domain.Common;

namespace Provisioning.Domain.Audit;

/// <summary>
/// One successful change, written in the change's own transaction. It names what changed (field names), never a value,
/// so it can never hold a secret.
/// </summary>
public sealed class AuditEvent
{
    public const int MaxRequestIdLength = 128;

    /// <summary>The longest resource id (and related id) an event holds, in code points: an email has at most 254.</summary>
    public const int MaxResourceIdLength = 320;

    private string[] _changes = [];

    private AuditEvent()
    {
        Id = string.Empty;
        Type = string.Empty;
        ActorKind = string.Empty;
        ResourceType = string.Empty;
        ResourceId = string.Empty;
    }

    /// <summary>
    /// Time-ordered (24 hex characters, like every id); made by the store as the event is written, from the database's
    /// clock, so that a reader paging by id never passes an event committed later. Empty on an event not yet written.
    /// </summary>
    public string Id { get; private set; }

    /// <summary>The tenant the change was made in: the caller's own, or the one it acted in with On-Behalf-Of.</summary>
    public TenantId TenantId { get; private set; }

    /// <summary>The wire name (<see cref="AuditEventTypes.WireName"/>).</summary>
    public string Type { get; private set; }

    public string? ActorKeyId { get; private set; }
    public string ActorKind { get; private set; }
    public TenantId? ActorTenantId { get; private set; }

    /// <summary>The tenant acted in with On-Behalf-Of; null when the caller acted in its own tenant.</summary>
    public TenantId? OnBehalfOf { get; private set; }

    public string ResourceType { get; private set; }
    public string ResourceId { get; private set; }

    /// <summary>The resource's owner when it has one (the app of an app key, the service account of its key, the app of a grant).</summary>
    public string? RelatedType { get; private set; }

    public string? RelatedId { get; private set; }

    /// <summary>The names of the fields the change set, as they appear on the wire.</summary>
    public IReadOnlyList<string> Changes => _changes;

    public string? RequestId { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }

    public static AuditEvent Create(
        AuditEventType type,
        TenantId tenantId,
        AuditActor actor,
        TenantId? onBehalfOf,
        AuditResource resource,
        AuditResource? related,
        IEnumerable<string>? changes,
        string? requestId,
        DateTimeOffset now) =>
        new()
        {
            TenantId = tenantId,
            Type = type.WireName(),
            ActorKeyId = actor.KeyId,
            ActorKind = actor.Kind,
            ActorTenantId = actor.TenantId,
            OnBehalfOf = onBehalfOf,
            ResourceType = resource.Type,
            ResourceId = resource.Id,
            RelatedType = related?.Type,
            RelatedId = related?.Id,
            _changes = changes?.Distinct(StringComparer.Ordinal).ToArray() ?? [],
            RequestId = requestId is { Length: > MaxRequestIdLength } ? requestId[..MaxRequestIdLength] : requestId,
            CreatedAt = StoredTime.Of(now),
        };
}
