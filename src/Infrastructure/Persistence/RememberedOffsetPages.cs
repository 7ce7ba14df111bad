using Microsoft.EntityFrameworkCore;
using Provisioning.Application.Common.Paging;
using Provisioning.Domain.Common;

namespace Provisioning.Infrastructure.Persistence;

/// <summary>
/// v1.1 offset pages of a list in id order, by keyset under the hood: a tenant's apps, its service accounts
/// (<see cref="TenantAppPages"/>, <see cref="TenantServiceAccountPages"/>; <see cref="OffsetPageStatements.OfTenant"/>),
/// and a service account's apps (<see cref="GrantedApps.Pages"/>).
/// <list type="bullet">
/// <item><b>Where a page starts</b> is found once: the page's ids by <c>OFFSET n</c> on an index-only scan (the table's
/// <c>(tenant_id, id)</c> index, the grants' primary key; no heap row fetched for the rows skipped, unlike a plain
/// <c>OFFSET</c> over the rows), then only those rows.</item>
/// <item><b>It is remembered</b> (<see cref="OffsetAnchors"/>, per process) as "offset n of this list starts at id X",
/// for the page served and for the next one (its first id is the extra row every page reads), together with the
/// <b>version</b> of the list's set of rows it was read under.</item>
/// <item><b>The version</b> is the system column <c>xmin</c> of the list's slots (<see cref="OffsetPageStatements.SlotsVersion"/>:
/// <c>tenant_app_counts</c>, <c>tenant_service_account_counts</c>, and for an account's apps also
/// <c>service_account_grant_versions</c>): the tables' triggers update one of them (or add one) in every transaction that
/// inserts or deletes a row of the list (each update writes a new row version), so any change to which rows exist
/// changes it, and a rename does not.</item>
/// <item><b>A remembered start is used</b> in one statement that reads the page from X and, in the same snapshot,
/// requires the version to be unchanged; a changed version returns nothing and the page is found afresh. So a
/// remembered position is never applied to a set of rows it was not read from.</item>
/// </list>
/// A cold deep offset still costs the index-only scan (linear in the offset); paging on (offset += limit) and asking for
/// a page again do not. Offsets below <see cref="ReadDirectlyBelow"/> are always read directly. docs/performance.md has
/// the figures.
/// </summary>
internal sealed class RememberedOffsetPages<TEntity>(string list, OffsetPageStatements statements, Func<TEntity, string> id)
    where TEntity : class
{
    /// <summary>One tenant's rows of <paramref name="table"/>, versioned by its counter table <paramref name="counts"/> (<see cref="OffsetPageStatements.OfTenant"/>).</summary>
    public static RememberedOffsetPages<TEntity> OfTenant(string table, string counts, Func<TEntity, string> id) =>
        new(table, OffsetPageStatements.OfTenant(table, counts), id);

    /// <summary>
    /// Offsets below this are read directly, nothing remembered: counting up to a thousand index entries costs about what
    /// reading the version does (≈ 40 ns an entry against 50–80 µs), so a shallow page answers faster without it, and no
    /// slower at the bound than a remembered one. docs/performance.md has the figures.
    /// </summary>
    public const int ReadDirectlyBelow = 1000;

    /// <param name="scope">The list's scope, as its statements take it: the tenant, then anything else that names the list.</param>
    public async Task<OffsetPage<TEntity>> PageAsync(
        ProvisioningDbContext db, OffsetAnchors anchors, string[] scope, OffsetPageRequest page, CancellationToken cancellationToken)
    {
        var offset = page.EffectiveOffset;
        var limit = page.EffectiveLimit;
        if (offset < ReadDirectlyBelow)
        {
            return Result(await RowsAsync(db, statements.FromOffset, [.. scope, offset, limit + 1], cancellationToken), limit, offset);
        }

        var key = string.Join('/', scope);
        var generation = anchors.Generation; // before anything is read
        List<TEntity> rows;
        string version;
        if (anchors.TryGet(list, key, offset, out var anchor)
            && (rows = await RowsAsync(db, statements.FromAnchor, [.. scope, anchor.FirstId, anchor.Version, limit + 1], cancellationToken)).Count > 0)
        {
            version = anchor.Version;
        }
        else
        {
            version = await db.Database.SqlQueryRaw<string>(statements.Version, [.. scope]).SingleAsync(cancellationToken);
            rows = await RowsAsync(db, statements.FromOffsetAtVersion, [.. scope, offset, limit + 1, version], cancellationToken);
            if (rows.Count == 0)
            {
                // Past the end, or the rows changed between the two statements: answer from one statement, remember nothing.
                rows = await RowsAsync(db, statements.FromOffset, [.. scope, offset, limit + 1], cancellationToken);
                return Result(rows, limit, offset);
            }
        }

        anchors.Set(list, key, offset, new OffsetAnchor(version, id(rows[0])), generation);
        if (rows.Count > limit)
        {
            anchors.Set(list, key, offset + limit, new OffsetAnchor(version, id(rows[limit])), generation);
        }

        return Result(rows, limit, offset);
    }

    /// <summary>The page of <paramref name="limit"/> rows from <paramref name="rows"/> (read with one extra: whether more follow).</summary>
    public static OffsetPage<TEntity> Result(List<TEntity> rows, int limit, int offset) =>
        new([.. rows.Take(limit)], rows.Count > limit, offset);

    private Task<List<TEntity>> RowsAsync(ProvisioningDbContext db, string sql, object[] parameters, CancellationToken cancellationToken) =>
        db.Set<TEntity>().FromSqlRaw(EntityColumns.In<TEntity>(db.Model, sql, statements.IdFrom), parameters).AsNoTracking().ToListAsync(cancellationToken);
}
