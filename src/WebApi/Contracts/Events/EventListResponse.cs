using Provisioning.Application.Events;

namespace Provisioning.WebApi.Contracts;

/// <summary><c>GET /v2/events</c>: a page of audit events, oldest first.</summary>
public sealed record EventListResponse(IReadOnlyList<EventDto> Events, PageMeta Meta, PageLinks Links);
