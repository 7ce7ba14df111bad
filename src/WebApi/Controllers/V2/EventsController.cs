using Mediator;
using Microsoft.AspNetCore.Mvc;
using Provisioning.Application.Events.Queries.ListEvents;
using Provisioning.WebApi.Contracts;
using Provisioning.WebApi.Errors;
using Provisioning.WebApi.Hosting.OpenApi;

namespace Provisioning.WebApi.Controllers.V2;

/// <summary>The audit trail: one event for every successful change. Account credentials only.</summary>
[ApiController]
[Route("v2/events")]
[Produces("application/json")]
[Tags("Events")]
[ProducesResponseType<V2ErrorResponse>(StatusCodes.Status401Unauthorized)]
[ProducesResponseType<V2ErrorResponse>(StatusCodes.Status403Forbidden)]
public sealed class EventsController(ISender sender) : ControllerBase
{
    /// <summary>Lists audit events.</summary>
    /// <remarks>
    /// Account credentials only (<c>act_</c> key or tenant token); <c>svc_</c> and <c>app_</c> keys get 403. An <c>act_</c> caller may send
    /// the <c>On-Behalf-Of</c> header with the id of one of its descendant tenants to act inside it.
    /// Every successful change (tenants, users, apps, keys, service accounts, grants, provisioning keys; provisioning; suspend and
    /// resume; disable and enable) wrote one event in its own transaction. An event names who made the change (<c>actor</c>: key id,
    /// kind — <c>account</c>, <c>serviceAccount</c>, <c>app</c>, <c>tenantToken</c> or <c>operator</c> — and the key's tenant),
    /// <c>onBehalfOf</c>, the tenant it happened in, the <c>resource</c> (and <c>related</c>, its owner: the app of an app key, …),
    /// the names of the fields it changed (<c>changes</c>, never their values) and the request id. Events never hold a secret.
    /// The caller sees the events of its tenant and of all its descendants, never an ancestor's or a sibling's.
    /// Filters: <c>filter[type]</c> (an event type, e.g. <c>app.created</c>; the list is in docs/events.md), <c>filter[resourceId]</c>
    /// (the resource or its owner), <c>filter[tenantId]</c> (events that happened in that tenant: the caller's own or a descendant,
    /// a deleted descendant too; another is 404). Cursor paging, oldest first: <c>page[size]</c> 1–100 (default 25) and at most one of <c>page[after]</c> /
    /// <c>page[before]</c> (an event id); a bad value is 400 naming the parameter.
    /// </remarks>
    /// <param name="page">Cursor paging.</param>
    /// <param name="type">An event type, e.g. <c>app.created</c>.</param>
    /// <param name="resourceId">A resource id: events about it or about something it owns.</param>
    /// <param name="tenantId">The caller's tenant or a descendant (a deleted one too): events that happened there.</param>
    /// <param name="ct">Cancelled when the client goes away.</param>
    /// <response code="404"><c>filter[tenantId]</c> names a tenant the caller cannot see.</response>
    [HttpGet(Name = "ListEvents")]
    [ProducesResponseType<EventListResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status400BadRequest)]
    [ProducesResponseType<V2ErrorResponse>(StatusCodes.Status404NotFound)]
    public async Task<EventListResponse> ListEvents(
        [FromQuery(Name = "")] PageQuery page,
        [FromQuery(Name = "filter[type]"), SchemaLimits(ValuesOf = typeof(Domain.Audit.AuditEventType))] string? type,
        [FromQuery(Name = "filter[resourceId]"), SchemaLimits(MinLength = 1, MaxLength = Domain.Audit.AuditEvent.MaxResourceIdLength)] string? resourceId,
        [FromQuery(Name = "filter[tenantId]"), SchemaLimits(Id = true)] string? tenantId,
        CancellationToken ct)
    {
        var request = page.ToRequest();
        var result = await sender.Send(new ListEventsQuery(request, type, resourceId, tenantId), ct);
        var (meta, links) = PageLinksBuilder.Build(Request, result, request,
            ("filter[type]", type), ("filter[resourceId]", resourceId), ("filter[tenantId]", tenantId));
        return new EventListResponse(result.Items, meta, links);
    }
}
