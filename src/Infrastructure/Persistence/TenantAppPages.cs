using Microsoft.EntityFrameworkCore;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Paging;
using Provisioning.Domain.Apps;
using Provisioning.Domain.Common;

namespace Provisioning.Infrastructure.Persistence;

/// <summary>
/// <see cref="ITenantAppPages"/>: keyset under the hood for the v1.1 offset list.
/// <list type="bullet">
/// <item><b>Where a page starts</b> is found once: the page's ids by <c>OFFSET n</c> on an index-only scan of the
/// <c>(tenant_id, id)</c> index (no heap row fetched for the rows skipped, unlike a plain <c>OFFSET</c> over the rows),
/// then only those rows.</item>
/// <item><b>It is remembered</b> (<see cref="OffsetAnchors"/>, per process) as "offset n of this tenant starts at id X",
/// for the page served and for the next one (its first id is the extra row every page reads), together with the
/// <b>version</b> of the tenant's set of apps it was read under.</item>
/// <item><b>The version</b> is the system column <c>xmin</c> of the tenant's <c>tenant_app_counts</c> rows (its counter slots): the
/// counter triggers update one of them (or add one) in every transaction that inserts or deletes an app of the tenant (each update
/// writes a new row version), so any change to which apps exist changes it, and a rename does not.</item>
/// <item><b>A remembered start is used</b> in one statement that reads the page from X and, in the same snapshot,
/// requires the version to be unchanged; a changed version returns nothing and the page is found afresh. So a
/// remembered position is never applied to a set of apps it was not read from.</item>
/// </list>
/// A cold deep offset still costs the index-only scan (linear in the offset); paging on (offset += limit) and asking for
/// a page again do not. docs/performance.md has the figures.
/// </summary>
internal sealed class TenantAppPages(ProvisioningDbContext db, OffsetAnchors anchors) : ITenantAppPages
{
    public async Task<OffsetPage<App>> PageAsync(TenantId tenant, OffsetPageRequest page, CancellationToken cancellationToken)
    {
        var offset = page.EffectiveOffset;
        var limit = page.EffectiveLimit;
        List<App> rows;
        string version;
        if (anchors.TryGet(tenant.Value, offset, out var anchor)
            && (rows = await FromAnchorAsync(tenant, anchor, limit, cancellationToken)).Count > 0)
        {
            version = anchor.Version;
        }
        else
        {
            version = await VersionAsync(tenant, cancellationToken);
            rows = await FromOffsetAsync(tenant, offset, limit, version, cancellationToken);
            if (rows.Count == 0)
            {
                // Past the end, or the apps changed between the two statements: answer from one statement, remember nothing.
                rows = await FromOffsetAsync(tenant, offset, limit, version: null, cancellationToken);
                return Result(rows, limit, offset);
            }
        }

        anchors.Set(tenant.Value, offset, new OffsetAnchor(version, rows[0].Id.Value));
        if (rows.Count > limit)
        {
            anchors.Set(tenant.Value, offset + limit, new OffsetAnchor(version, rows[limit].Id.Value));
        }

        return Result(rows, limit, offset);
    }

    public async Task<OffsetPage<App>> GrantedPageAsync(
        TenantId tenant, ServiceAccountId account, OffsetPageRequest page, CancellationToken cancellationToken) =>
        Result(await GrantedApps.AtOffsetAsync(db, tenant, account, page.EffectiveOffset, page.EffectiveLimit + 1, cancellationToken),
            page.EffectiveLimit, page.EffectiveOffset);

    private static OffsetPage<App> Result(List<App> rows, int limit, int offset) =>
        new([.. rows.Take(limit)], rows.Count > limit, offset);

    /// <summary>The tenant's set-of-apps version: its counter rows' slots and row versions (see the class summary). {0} is the tenant.</summary>
    private const string VersionSql =
        "coalesce((SELECT string_agg(c.slot::text || ':' || c.xmin::text, ',' ORDER BY c.slot) FROM tenant_app_counts c WHERE c.tenant_id = {0}), '')";

    private const string VersionQuery = "SELECT " + VersionSql + " AS \"Value\"";

    // The page's ids come from an index-only scan of (tenant_id, id), then only those rows are read by primary key.
    // The tenant is bounded as a range (tenant_id >= t AND tenant_id <= t, and the row comparison (tenant_id, id) >= (t, x)
    // as the start), never as tenant_id = t: with an equality the primary key also yields "ORDER BY tenant_id, id", and
    // with statistics that do not know the newest apps yet the planner walked it from x through every later app of every
    // tenant (65 ms a page instead of 0.1 in a benchmark run). A range leaves the (tenant_id, id) index as the only plan
    // without a sort. An IN (…) semi-join instead of = ANY(ARRAY(…)) costs four times as much to plan, on every request.

    /// <summary>A page from a remembered start, only if the apps are still the version it was read under: {0} tenant, {1} first id, {2} version, {3} rows.</summary>
    private const string FromAnchorQuery =
        "SELECT {columns} FROM apps a WHERE a.id = ANY(ARRAY(" +
        "SELECT s.id FROM apps s WHERE (s.tenant_id, s.id) >= ({0}, {1}) AND s.tenant_id <= {0} " +
        "ORDER BY s.tenant_id, s.id LIMIT {3})) " +
        "AND " + VersionSql + " = {2} ORDER BY a.id";

    /// <summary>The page at an offset: {0} tenant, {1} offset, {2} rows.</summary>
    private const string FromOffsetQuery =
        "SELECT {columns} FROM apps a WHERE a.id = ANY(ARRAY(" +
        "SELECT s.id FROM apps s WHERE s.tenant_id >= {0} AND s.tenant_id <= {0} " +
        "ORDER BY s.tenant_id, s.id OFFSET {1} LIMIT {2}))";

    private const string ThenPage = " ORDER BY a.id";

    /// <summary>The same, only if the apps are still version {3}.</summary>
    private const string FromOffsetAtVersionQuery = FromOffsetQuery + " AND " + VersionSql + " = {3}" + ThenPage;

    private Task<string> VersionAsync(TenantId tenant, CancellationToken cancellationToken) =>
        db.Database.SqlQueryRaw<string>(VersionQuery, tenant.Value).SingleAsync(cancellationToken);

    private Task<List<App>> FromAnchorAsync(TenantId tenant, OffsetAnchor anchor, int limit, CancellationToken cancellationToken) =>
        db.Apps.FromSqlRaw(WithColumns(FromAnchorQuery), tenant.Value, anchor.FirstId, anchor.Version, limit + 1)
            .AsNoTracking().ToListAsync(cancellationToken);

    private Task<List<App>> FromOffsetAsync(TenantId tenant, int offset, int limit, string? version, CancellationToken cancellationToken) =>
        (version is null
            ? db.Apps.FromSqlRaw(WithColumns(FromOffsetQuery + ThenPage), tenant.Value, offset, limit + 1)
            : db.Apps.FromSqlRaw(WithColumns(FromOffsetAtVersionQuery), tenant.Value, offset, limit + 1, version))
        .AsNoTracking()
        .ToListAsync(cancellationToken);

    private string WithColumns(string sql) => AppColumns.In(db.Model, sql);
}
