namespace Provisioning.Infrastructure.Persistence;

/// <summary>
/// The SQL of one list of <see cref="RememberedOffsetPages{TEntity}"/>. Each statement's parameters are the list's scope
/// first (<c>{0}</c> the tenant, then whatever else names the list: <c>{1}</c> a service account for its granted apps),
/// then, numbered on from there: <see cref="FromAnchor"/> the first id, the version, the rows; <see cref="FromOffset"/> the
/// offset, the rows; <see cref="FromOffsetAtVersion"/> the offset, the rows, the version. <c>{columns}</c> is the entity's
/// select list, its id read from <see cref="IdFrom"/>.
/// </summary>
/// <param name="Version">A <c>SELECT</c> of the list's version as <c>"Value"</c>: text that changes whenever which rows the list holds does.</param>
/// <param name="FromAnchor">The page from a remembered first id, only if the version is still the one given (no rows otherwise).</param>
/// <param name="FromOffset">The page at an offset.</param>
/// <param name="FromOffsetAtVersion">The same, only if the version is still the one given.</param>
/// <param name="IdFrom">The expression the select list reads the entity's id from.</param>
internal sealed record OffsetPageStatements(string Version, string FromAnchor, string FromOffset, string FromOffsetAtVersion, string IdFrom = "a.\"id\"")
{
    /// <summary>
    /// A version kept in slots (<c>tenant_app_counts</c>, <c>tenant_service_account_counts</c> by tenant;
    /// <c>service_account_grant_versions</c> by service account): the slots of <paramref name="owner"/> (a placeholder)
    /// and their row versions (<c>xmin</c>), which the tables' triggers rewrite in every transaction that inserts or
    /// deletes one of the owner's rows (a rename does not).
    /// </summary>
    public static string SlotsVersion(string slots, string column, string owner) =>
        $"coalesce((SELECT string_agg(c.slot::text || ':' || c.xmin::text, ',' ORDER BY c.slot) FROM {slots} c WHERE c.{column} = {owner}), '')";

    /// <summary>
    /// One tenant's rows of <paramref name="table"/> in id order (scope: <c>{0}</c> the tenant), versioned by its counter
    /// table <paramref name="counts"/>. The page's ids come from an index-only scan of <c>(tenant_id, id)</c>, then only
    /// those rows are read by primary key.
    /// <para>
    /// The tenant is bounded as a range (tenant_id &gt;= t AND tenant_id &lt;= t, and the row comparison (tenant_id, id)
    /// &gt;= (t, x) as the start), never as tenant_id = t: with an equality the primary key also yields "ORDER BY tenant_id,
    /// id", and with statistics that do not know the newest rows yet the planner walked it from x through every later row
    /// of every tenant (65 ms a page of apps instead of 0.1 in a benchmark run). A range leaves the (tenant_id, id) index
    /// as the only plan without a sort. The start repeats tenant_id &gt;= t beside the row comparison: without it a generic
    /// plan saw only the bound tenant_id &lt;= t as the tenant's range (a third of the table, by default) and preferred
    /// another index on (tenant_id, …) with a sort — service accounts' (tenant_id, normalized_name), reading every account
    /// of the tenant (PlanShapeTests). An IN (…) semi-join instead of = ANY(ARRAY(…)) costs four times as much to plan, on
    /// every request.
    /// </para>
    /// </summary>
    public static OffsetPageStatements OfTenant(string table, string counts)
    {
        var version = SlotsVersion(counts, "tenant_id", "{0}");
        var fromOffset =
            $"SELECT {{columns}} FROM {table} a WHERE a.id = ANY(ARRAY(" +
            $"SELECT s.id FROM {table} s WHERE s.tenant_id >= {{0}} AND s.tenant_id <= {{0}} " +
            "ORDER BY s.tenant_id, s.id OFFSET {1} LIMIT {2}))";
        return new(
            Version: $"SELECT {version} AS \"Value\"",
            FromAnchor:
                $"SELECT {{columns}} FROM {table} a WHERE a.id = ANY(ARRAY(" +
                $"SELECT s.id FROM {table} s WHERE (s.tenant_id, s.id) >= ({{0}}, {{1}}) AND s.tenant_id >= {{0}} AND s.tenant_id <= {{0}} " +
                "ORDER BY s.tenant_id, s.id LIMIT {3})) " +
                $"AND {version} = {{2}} ORDER BY a.id",
            FromOffset: fromOffset + " ORDER BY a.id",
            FromOffsetAtVersion: fromOffset + $" AND {version} = {{3}} ORDER BY a.id");
    }
}
