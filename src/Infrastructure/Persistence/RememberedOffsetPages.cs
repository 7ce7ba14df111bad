using Microsoft.EntityFrameworkCore;
using Provisioning.Application.Common.Paging;
using Provisioning.Domain.Common;

namespace Provisioning.Infrastructure.Persistence;

/// <summary>
/// v1.1 offset pages of one tenant's rows of a table, in id order, by keyset under the hood (the apps' and the service
/// accounts' lists: <see cref="TenantAppPages"/>, <see cref="TenantServiceAccountPages"/>).
/// <list type="bullet">
/// <item><b>Where a page starts</b> is found once: the page's ids by <c>OFFSET n</c> on an index-only scan of the table's
/// <c>(tenant_id, id)</c> index (no heap row fetched for the rows skipped, unlike a plain <c>OFFSET</c> over the rows),
/// then only those rows.</item>
/// <item><b>It is remembered</b> (<see cref="OffsetAnchors"/>, per process) as "offset n of this tenant starts at id X",
/// for the page served and for the next one (its first id is the extra row every page reads), together with the
/// <b>version</b> of the tenant's set of rows it was read under.</item>
/// <item><b>The version</b> is the system column <c>xmin</c> of the tenant's rows in the table's counter table (its
/// counter slots: <c>tenant_app_counts</c>, <c>tenant_service_account_counts</c>): the counter triggers update one of
/// them (or add one) in every transaction that inserts or deletes a row of the tenant (each update writes a new row
/// version), so any change to which rows exist changes it, and a rename does not.</item>
/// <item><b>A remembered start is used</b> in one statement that reads the page from X and, in the same snapshot,
/// requires the version to be unchanged; a changed version returns nothing and the page is found afresh. So a
/// remembered position is never applied to a set of rows it was not read from.</item>
/// </list>
/// A cold deep offset still costs the index-only scan (linear in the offset); paging on (offset += limit) and asking for
/// a page again do not. docs/performance.md has the figures.
/// </summary>
internal sealed class RememberedOffsetPages<TEntity> where TEntity : class
{
    private readonly string _table;
    private readonly Func<TEntity, string> _id;
    private readonly string _versionQuery;
    private readonly string _fromAnchorQuery;
    private readonly string _fromOffsetQuery;
    private readonly string _fromOffsetAtVersionQuery;

    /// <param name="table">The entity's table, with <c>tenant_id</c> and <c>id</c> columns and an index on both.</param>
    /// <param name="counts">Its counter table: <c>(tenant_id, slot)</c> rows rewritten by every insert and delete of the tenant's rows.</param>
    /// <param name="id">A row's id, as the table holds it.</param>
    public RememberedOffsetPages(string table, string counts, Func<TEntity, string> id)
    {
        _table = table;
        _id = id;

        // The tenant's set-of-rows version: its counter rows' slots and row versions (see the class summary). {0} is the tenant.
        var version = $"coalesce((SELECT string_agg(c.slot::text || ':' || c.xmin::text, ',' ORDER BY c.slot) FROM {counts} c WHERE c.tenant_id = {{0}}), '')";
        _versionQuery = $"SELECT {version} AS \"Value\"";

        // The page's ids come from an index-only scan of (tenant_id, id), then only those rows are read by primary key.
        // The tenant is bounded as a range (tenant_id >= t AND tenant_id <= t, and the row comparison (tenant_id, id) >= (t, x)
        // as the start), never as tenant_id = t: with an equality the primary key also yields "ORDER BY tenant_id, id", and
        // with statistics that do not know the newest rows yet the planner walked it from x through every later row of every
        // tenant (65 ms a page of apps instead of 0.1 in a benchmark run). A range leaves the (tenant_id, id) index as the
        // only plan without a sort. The start repeats tenant_id >= t beside the row comparison: without it a generic plan
        // saw only the bound tenant_id <= t as the tenant's range (a third of the table, by default) and preferred another
        // index on (tenant_id, …) with a sort — service accounts' (tenant_id, normalized_name), reading every account of
        // the tenant (PlanShapeTests). An IN (…) semi-join instead of = ANY(ARRAY(…)) costs four times as much to plan, on
        // every request.

        // A page from a remembered start, only if the rows are still the version it was read under: {0} tenant, {1} first
        // id, {2} version, {3} rows.
        _fromAnchorQuery =
            $"SELECT {{columns}} FROM {table} a WHERE a.id = ANY(ARRAY(" +
            $"SELECT s.id FROM {table} s WHERE (s.tenant_id, s.id) >= ({{0}}, {{1}}) AND s.tenant_id >= {{0}} AND s.tenant_id <= {{0}} " +
            "ORDER BY s.tenant_id, s.id LIMIT {3})) " +
            $"AND {version} = {{2}} ORDER BY a.id";

        // The page at an offset: {0} tenant, {1} offset, {2} rows; and the same only if the rows are still version {3}.
        var fromOffset =
            $"SELECT {{columns}} FROM {table} a WHERE a.id = ANY(ARRAY(" +
            $"SELECT s.id FROM {table} s WHERE s.tenant_id >= {{0}} AND s.tenant_id <= {{0}} " +
            "ORDER BY s.tenant_id, s.id OFFSET {1} LIMIT {2}))";
        _fromOffsetQuery = fromOffset + " ORDER BY a.id";
        _fromOffsetAtVersionQuery = fromOffset + $" AND {version} = {{3}} ORDER BY a.id";
    }

    public async Task<OffsetPage<TEntity>> PageAsync(
        ProvisioningDbContext db, OffsetAnchors anchors, TenantId tenant, OffsetPageRequest page, CancellationToken cancellationToken)
    {
        var offset = page.EffectiveOffset;
        var limit = page.EffectiveLimit;
        var generation = anchors.Generation; // before anything is read
        List<TEntity> rows;
        string version;
        if (anchors.TryGet(_table, tenant.Value, offset, out var anchor)
            && (rows = await FromAnchorAsync(db, tenant, anchor, limit, cancellationToken)).Count > 0)
        {
            version = anchor.Version;
        }
        else
        {
            version = await db.Database.SqlQueryRaw<string>(_versionQuery, tenant.Value).SingleAsync(cancellationToken);
            rows = await FromOffsetAsync(db, tenant, offset, limit, version, cancellationToken);
            if (rows.Count == 0)
            {
                // Past the end, or the rows changed between the two statements: answer from one statement, remember nothing.
                rows = await FromOffsetAsync(db, tenant, offset, limit, version: null, cancellationToken);
                return Result(rows, limit, offset);
            }
        }

        anchors.Set(_table, tenant.Value, offset, new OffsetAnchor(version, _id(rows[0])), generation);
        if (rows.Count > limit)
        {
            anchors.Set(_table, tenant.Value, offset + limit, new OffsetAnchor(version, _id(rows[limit])), generation);
        }

        return Result(rows, limit, offset);
    }

    /// <summary>The page of <paramref name="limit"/> rows from <paramref name="rows"/> (read with one extra: whether more follow).</summary>
    public static OffsetPage<TEntity> Result(List<TEntity> rows, int limit, int offset) =>
        new([.. rows.Take(limit)], rows.Count > limit, offset);

    private Task<List<TEntity>> FromAnchorAsync(ProvisioningDbContext db, TenantId tenant, OffsetAnchor anchor, int limit, CancellationToken cancellationToken) =>
        db.Set<TEntity>().FromSqlRaw(WithColumns(db, _fromAnchorQuery), tenant.Value, anchor.FirstId, anchor.Version, limit + 1)
            .AsNoTracking().ToListAsync(cancellationToken);

    private Task<List<TEntity>> FromOffsetAsync(
        ProvisioningDbContext db, TenantId tenant, int offset, int limit, string? version, CancellationToken cancellationToken) =>
        (version is null
            ? db.Set<TEntity>().FromSqlRaw(WithColumns(db, _fromOffsetQuery), tenant.Value, offset, limit + 1)
            : db.Set<TEntity>().FromSqlRaw(WithColumns(db, _fromOffsetAtVersionQuery), tenant.Value, offset, limit + 1, version))
        .AsNoTracking()
        .ToListAsync(cancellationToken);

    private static string WithColumns(ProvisioningDbContext db, string sql) => EntityColumns.In<TEntity>(db.Model, sql);
}
