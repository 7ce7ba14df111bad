using Microsoft.EntityFrameworkCore;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Paging;
using Provisioning.Domain.Audit;
using Provisioning.Domain.Common;
using Provisioning.Infrastructure.Persistence;

namespace Provisioning.Infrastructure.Audit;

/// <summary>
/// Pages of audit events in id (= time) order. Visibility is a range of <c>audit_event_viewers</c>' primary key (the
/// viewer's rows, in event order), so a page costs the same at a thousand events as at millions; a tenant filter uses
/// <c>(tenant_id, id)</c>; a resource filter the resource's own two indexes (<see cref="OfResource"/>).
/// <para>Only events below the horizon are shown (<c>audit_event_horizon()</c>, migration
/// <c>EventIdsFromTheDatabaseClock</c>): an event written by a transaction still open has an id from before the ones
/// committed since, so showing those would let a reader following with <c>page[after]</c> pass it for good. The horizon
/// is read first, in a statement of its own, so that what the page's statement sees is at least as new as it. With no
/// audited change in flight it is now: a change is listed as soon as it has committed.</para>
/// </summary>
internal sealed class AuditEventReader(ProvisioningDbContext db) : IAuditEventReader
{
    public async Task<Page<AuditEvent>> PageAsync(TenantId viewer, AuditEventFilter filter, PageRequest page, CancellationToken cancellationToken)
    {
        var horizon = await db.Database.SqlQuery<string>($"SELECT audit_event_horizon() AS \"Value\"").SingleAsync(cancellationToken);
        IQueryable<AuditEvent>[] Between(string? after, string? before) => Sources(viewer, filter, after, before, horizon);
        var size = page.EffectiveSize;
        if (page.Before is { } before)
        {
            var rows = await FirstAsync(Between(null, before), descending: true, size + 1, cancellationToken);
            var items = rows.Take(size).Reverse().ToList();
            var hasMore = rows.Count > size;
            var last = items.Count > 0 ? items[^1].Id : null;
            // Usually the cursor's own event follows, but not for a cursor past the newest one (or of another filter).
            var hasNext = last is not null && await AnyAsync(Between(last, null), cancellationToken);
            return new Page<AuditEvent>(items, hasMore, hasNext ? last : null, hasMore && items.Count > 0 ? items[0].Id : null);
        }
        else
        {
            var after = page.After;
            var rows = await FirstAsync(Between(after, null), descending: false, size + 1, cancellationToken);
            var items = rows.Take(size).ToList();
            var hasMore = rows.Count > size;
            var first = items.Count > 0 ? items[0].Id : null;
            var hasPrevious = first is not null && after is not null && await AnyAsync(Between(null, first), cancellationToken);
            return new Page<AuditEvent>(items, hasMore, hasMore ? items[^1].Id : null, hasPrevious ? first : null);
        }
    }

    /// <summary>The first <paramref name="count"/> events of the sources together, in id order: each source ordered and cut first.</summary>
    private static Task<List<AuditEvent>> FirstAsync(IQueryable<AuditEvent>[] sources, bool descending, int count, CancellationToken cancellationToken)
    {
        var rows = sources.Select(source => Ordered(source, descending).Take(count)).Aggregate((a, b) => a.Concat(b));
        return (sources.Length == 1 ? rows : Ordered(rows, descending).Take(count)).ToListAsync(cancellationToken);
    }

    private static Task<bool> AnyAsync(IQueryable<AuditEvent>[] sources, CancellationToken cancellationToken) =>
        sources.Aggregate((a, b) => a.Concat(b)).AnyAsync(cancellationToken);

    private static IQueryable<AuditEvent> Ordered(IQueryable<AuditEvent> events, bool descending) =>
        descending ? events.OrderByDescending(e => e.Id) : events.OrderBy(e => e.Id);

    /// <summary>
    /// The events <paramref name="viewer"/> sees with <paramref name="filter"/>, strictly between <paramref name="after"/>
    /// (none: from the first) and <paramref name="before"/> (none: to the newest), and below the horizon: one query, or
    /// for a resource two, whose events together are the answer (none in both).
    /// </summary>
    private IQueryable<AuditEvent>[] Sources(TenantId viewer, AuditEventFilter filter, string? after, string? before, string horizon) =>
        filter.ResourceId is { } resource
            ? [OfResource(viewer, filter, e => e.ResourceId == resource, after, before, horizon),
               OfResource(viewer, filter, e => e.RelatedId == resource && e.ResourceId != resource, after, before, horizon)]
            : [Visible(viewer, filter, after, before, horizon)];

    /// <summary>
    /// The events of a resource (as the resource, or as the related one: each on its own index, in id order) that the
    /// viewer sees. Driven by the resource's events, each checked against the viewer's rows in a scalar subquery, which
    /// PostgreSQL never turns into a join: as a join (or <c>EXISTS</c>) the generic plan, trusting ~20 events a viewer
    /// (migration TenantSpreadForGenericPlans), walked the viewer's events checking each for the resource — 0.6–1 s at
    /// 2 M visible events, 10 s with a cursor, unbounded for a resource of many events (a probe). Now a page reads about
    /// as many events as it returns, plus the resource's events the viewer may not see.
    /// </summary>
    private IQueryable<AuditEvent> OfResource(
        TenantId viewer, AuditEventFilter filter, System.Linq.Expressions.Expression<Func<AuditEvent, bool>> match,
        string? after, string? before, string horizon)
    {
        var query = InRange(db.AuditEvents.AsNoTracking().Where(match), filter.Type, after, before, horizon);
        return filter.TenantId is { } tenant
            // The filter is the viewer or one of its descendants, or a deleted descendant (checked by the caller:
            // SeesEventsOfAsync): every event there is visible. Its tenant is checked the same way, by the event's primary
            // key: as a plain condition, the generic plan walked the tenant's (tenant_id, id) index instead.
            ? query.Where(e => db.AuditEvents
                .Where(o => o.Id == e.Id && o.TenantId == tenant).Select(o => o.Id).FirstOrDefault() != null)
            : query.Where(e => db.AuditEventViewers
                .Where(v => v.ViewerTenantId == viewer && v.EventId == e.Id).Select(v => v.EventId).FirstOrDefault() != null);
    }

    private static IQueryable<AuditEvent> InRange(IQueryable<AuditEvent> query, string? type, string? after, string? before, string horizon)
    {
        query = query.Where(e => e.Id.CompareTo(horizon) < 0);
        if (type is not null)
        {
            query = query.Where(e => e.Type == type);
        }

        if (before is not null)
        {
            query = query.Where(e => e.Id.CompareTo(before) < 0);
        }

        if (after is not null)
        {
            query = query.Where(e => e.Id.CompareTo(after) > 0);
        }

        return query;
    }

    /// <summary>
    /// Every event of a tenant has the same viewers, the tenant's path (the trigger <c>audit_event_viewers_fill</c>; a
    /// tenant never moves), so its latest event answers for all of them: two index reads however many there are.
    /// </summary>
    public Task<bool> SeesEventsOfAsync(TenantId viewer, TenantId tenant, CancellationToken cancellationToken) =>
        db.AuditEvents.Where(e => e.TenantId == tenant).OrderByDescending(e => e.Id).Take(1)
            .AnyAsync(e => db.AuditEventViewers.Any(v => v.ViewerTenantId == viewer && v.EventId == e.Id), cancellationToken);

    /// <summary>
    /// The events <paramref name="viewer"/> sees (no resource filter), between the bounds. The bounds are put on the viewer
    /// rows too: PostgreSQL carries the join's equality over, not a range, so a range on the events alone left the
    /// viewer's index scanned from its end to the cursor — every event newer than a <c>page[before]</c> read to return a
    /// page (a probe: 0.1–2 s at 300,000 events).
    /// </summary>
    private IQueryable<AuditEvent> Visible(TenantId viewer, AuditEventFilter filter, string? after, string? before, string horizon)
    {
        var type = filter.Type;
        if (filter.TenantId is { } tenant)
        {
            // The filter is the viewer or one of its descendants, or a deleted descendant (checked by the caller:
            // SeesEventsOfAsync): every event there is visible.
            return InRange(db.AuditEvents.AsNoTracking().Where(e => e.TenantId == tenant), type, after, before, horizon);
        }

        var viewers = db.AuditEventViewers.Where(v => v.ViewerTenantId == viewer && v.EventId.CompareTo(horizon) < 0);
        if (before is not null)
        {
            viewers = viewers.Where(v => v.EventId.CompareTo(before) < 0);
        }

        if (after is not null)
        {
            viewers = viewers.Where(v => v.EventId.CompareTo(after) > 0);
        }

        if (type is not null)
        {
            viewers = viewers.Where(v => v.Type == type);
        }

        var events = db.AuditEvents.AsNoTracking().Join(viewers, e => e.Id, v => v.EventId, (e, _) => e);
        return InRange(events, type: null, after, before, horizon);
    }
}
