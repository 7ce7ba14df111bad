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
/// <c>(tenant_id, id)</c>.
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
        var query = Visible(viewer, filter).Where(e => e.Id.CompareTo(horizon) < 0);
        var size = page.EffectiveSize;
        if (page.Before is { } before)
        {
            var rows = await query.Where(e => e.Id.CompareTo(before) < 0).OrderByDescending(e => e.Id).Take(size + 1).ToListAsync(cancellationToken);
            var items = rows.Take(size).Reverse().ToList();
            var hasMore = rows.Count > size;
            var last = items.Count > 0 ? items[^1].Id : null;
            // Usually the cursor's own event follows, but not for a cursor past the newest one (or of another filter).
            var hasNext = last is not null && await query.AnyAsync(e => e.Id.CompareTo(last) > 0, cancellationToken);
            return new Page<AuditEvent>(items, hasMore, hasNext ? last : null, hasMore && items.Count > 0 ? items[0].Id : null);
        }
        else
        {
            var after = page.After;
            var filtered = after is null ? query : query.Where(e => e.Id.CompareTo(after) > 0);
            var rows = await filtered.OrderBy(e => e.Id).Take(size + 1).ToListAsync(cancellationToken);
            var items = rows.Take(size).ToList();
            var hasMore = rows.Count > size;
            var first = items.Count > 0 ? items[0].Id : null;
            var hasPrevious = first is not null && after is not null
                && await query.AnyAsync(e => e.Id.CompareTo(first) < 0, cancellationToken);
            return new Page<AuditEvent>(items, hasMore, hasMore ? items[^1].Id : null, hasPrevious ? first : null);
        }
    }

    private IQueryable<AuditEvent> Visible(TenantId viewer, AuditEventFilter filter)
    {
        var type = filter.Type;
        IQueryable<AuditEvent> query;
        if (filter.TenantId is { } tenant)
        {
            // The filter is the viewer or one of its descendants (checked by the caller): every event there is visible.
            query = db.AuditEvents.AsNoTracking().Where(e => e.TenantId == tenant);
            if (type is not null)
            {
                query = query.Where(e => e.Type == type);
            }
        }
        else
        {
            var viewers = db.AuditEventViewers.Where(v => v.ViewerTenantId == viewer);
            if (type is not null)
            {
                viewers = viewers.Where(v => v.Type == type);
            }

            query = db.AuditEvents.AsNoTracking().Join(viewers, e => e.Id, v => v.EventId, (e, _) => e);
        }

        if (filter.ResourceId is { } resource)
        {
            query = query.Where(e => e.ResourceId == resource || e.RelatedId == resource);
        }

        return query;
    }
}
