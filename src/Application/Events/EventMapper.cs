using Provisioning.Domain.Audit;
using Riok.Mapperly.Abstractions;

namespace Provisioning.Application.Events;

[Mapper]
public static partial class EventMapper
{
    [MapPropertyFromSource(nameof(EventDto.Actor), Use = nameof(ToActor))]
    [MapPropertyFromSource(nameof(EventDto.Resource), Use = nameof(ToResource))]
    [MapPropertyFromSource(nameof(EventDto.Related), Use = nameof(ToRelated))]
    [MapperIgnoreSource(nameof(AuditEvent.ActorKeyId))]
    [MapperIgnoreSource(nameof(AuditEvent.ActorKind))]
    [MapperIgnoreSource(nameof(AuditEvent.ActorTenantId))]
    [MapperIgnoreSource(nameof(AuditEvent.ResourceType))]
    [MapperIgnoreSource(nameof(AuditEvent.ResourceId))]
    [MapperIgnoreSource(nameof(AuditEvent.RelatedType))]
    [MapperIgnoreSource(nameof(AuditEvent.RelatedId))]
    public static partial EventDto ToDto(this AuditEvent auditEvent);

    private static EventActorDto ToActor(AuditEvent e) => new(e.ActorKeyId, e.ActorKind, e.ActorTenantId?.Value);

    private static EventResourceDto ToResource(AuditEvent e) => new(e.ResourceType, e.ResourceId);

    private static EventResourceDto? ToRelated(AuditEvent e) => e.RelatedType is null ? null : new(e.RelatedType, e.RelatedId!);

    private static string MapTenantId(Domain.Common.TenantId id) => id.Value;
}
