using Mediator;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Exceptions;
using Provisioning.Application.Common.Paging;
using Provisioning.Application.Common.Security;
using Provisioning.Domain.Audit;
using Provisioning.Domain.Common;

namespace Provisioning.Application.Events.Queries.ListEvents;

/// <summary>
/// The audit events of the acting tenant and its descendants, oldest first, by cursor; never an ancestor's or a
/// sibling's. Account credentials only.
/// </summary>
public sealed record ListEventsQuery(PageRequest Page, string? Type = null, string? ResourceId = null, string? TenantId = null)
    : IQuery<Page<EventDto>>;

public sealed class ListEventsQueryHandler(IProvisioningDbContext db, IAuditEventReader events, ICallerContext callerContext)
    : IQueryHandler<ListEventsQuery, Page<EventDto>>
{
    public async ValueTask<Page<EventDto>> Handle(ListEventsQuery query, CancellationToken cancellationToken)
    {
        var caller = callerContext.Caller;
        TenantId? tenant = null;
        if (query.TenantId is { } requested)
        {
            // Another tenant's id is 404, as if it did not exist (the access policy's answer, as for On-Behalf-Of). A deleted
            // descendant's is not: its trail outlives it, listed among the caller's events, and an auditor narrows to it.
            tenant = new TenantId(requested);
            if (!await db.IsSelfOrDescendantAsync(caller.TenantId, requested, cancellationToken)
                && !await events.SeesEventsOfAsync(caller.TenantId, tenant.Value, cancellationToken))
            {
                throw NotFoundException.Tenant();
            }
        }

        var page = await events.PageAsync(caller.TenantId, new AuditEventFilter(query.Type, query.ResourceId is { } id ? Common.Audit.AuditResources.IdAsStored(id) : null, tenant), query.Page, cancellationToken);
        return page.Map(e => e.ToDto());
    }
}
