using Microsoft.EntityFrameworkCore;
using Provisioning.Domain.Apps;
using Provisioning.Domain.Common;

namespace Provisioning.Infrastructure.Persistence;

/// <summary>
/// The apps of a tenant granted to one service account (<see cref="Application.Common.Abstractions.IProvisioningDbContext.AppsGrantedTo"/>),
/// read from the grants, so a page costs the same whatever the tenant holds.
/// <list type="bullet">
/// <item><b>Driven by the grants' primary key</b> <c>(service_account_id, app_id)</c>, each app then fetched by its id,
/// with the tenant's condition as everywhere. The other way round — the tenant's apps in id order, each checked for a
/// grant — is what PostgreSQL's generic plan chose for <c>apps WHERE tenant_id = $1 AND EXISTS (grant)</c>, trusting the
/// estimate of ~20 apps a tenant (migration TenantSpreadForGenericPlans): a merge join that walked every app of the
/// tenant up to the account's newest grant (350–855 ms for 1 grant among 1 M apps).</item>
/// <item><b>The app is fetched in a <c>LATERAL</c> subquery with <c>LIMIT 1</c></b> (harmless on a primary key), which
/// PostgreSQL cannot turn into a join of the two tables: no plan, generic or custom, can walk the tenant's apps. EF
/// cannot send this (it turns a correlated <c>Take(1)</c> into <c>ROW_NUMBER()</c> over every app of the tenant), hence
/// the SQL here.</item>
/// <item><b>The id is the grant's <c>app_id</c></b> (equal to the app's): what EF composes on top — a page's cursor
/// (<c>id &gt; $n</c>), its order, an app's id — then lands on the grants' index, which a condition on <c>apps.id</c>
/// would not (PostgreSQL carries equalities across a join, not ranges: the page would start at the account's first grant).</item>
/// </list>
/// PlanShapeTests counts the rows each page reads, under generic and custom plans.
/// </summary>
internal static class GrantedApps
{
    /// <summary>{0} the tenant, {1} the service account.</summary>
    private const string Sql =
        "SELECT {columns} FROM app_grants g " +
        "CROSS JOIN LATERAL (SELECT * FROM apps a WHERE a.id = g.app_id AND a.tenant_id = {0} LIMIT 1) a " +
        "WHERE g.service_account_id = {1}";

    /// <summary>
    /// A v1.1 page at an offset: {0} the tenant, {1} the service account, {2} the offset, {3} rows. The page's grants are
    /// found on the grants' primary key alone (an index-only scan counts the rows skipped), then only their apps are
    /// fetched: composed on <see cref="Sql"/>, an <c>OFFSET</c> would fetch every skipped app first (PostgreSQL applies
    /// it after the join). Every grant's app is the tenant's (migration GrantsWithinOneTenant), so the count is exact.
    /// </summary>
    private const string OffsetSql =
        "SELECT {columns} FROM (SELECT s.app_id FROM app_grants s WHERE s.service_account_id = {1} " +
        "ORDER BY s.app_id OFFSET {2} LIMIT {3}) g " +
        "CROSS JOIN LATERAL (SELECT * FROM apps a WHERE a.id = g.app_id AND a.tenant_id = {0} LIMIT 1) a " +
        "ORDER BY g.app_id";

    public static IQueryable<App> Of(ProvisioningDbContext db, TenantId tenant, ServiceAccountId account) =>
        db.Apps.FromSqlRaw(WithColumns(db, Sql), tenant.Value, account.Value);

    public static Task<List<App>> AtOffsetAsync(
        ProvisioningDbContext db, TenantId tenant, ServiceAccountId account, int offset, int rows, CancellationToken cancellationToken) =>
        db.Apps.FromSqlRaw(WithColumns(db, OffsetSql), tenant.Value, account.Value, offset, rows).AsNoTracking().ToListAsync(cancellationToken);

    private static string WithColumns(ProvisioningDbContext db, string sql) => EntityColumns.In<App>(db.Model, sql, idFrom: "g.\"app_id\"");
}
