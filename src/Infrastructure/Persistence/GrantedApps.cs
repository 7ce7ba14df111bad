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
    /// <summary>Each grant's (<c>g.app_id</c>) app, if it is the tenant's ({0}).</summary>
    private const string TheApp = "CROSS JOIN LATERAL (SELECT * FROM apps a WHERE a.id = g.app_id AND a.tenant_id = {0} LIMIT 1) a ";

    /// <summary>{0} the tenant, {1} the service account.</summary>
    private const string Sql = "SELECT {columns} FROM app_grants g " + TheApp + "WHERE g.service_account_id = {1}";

    /// <summary>
    /// The v1.1 pages (<see cref="RememberedOffsetPages{TEntity}"/>; scope: {0} the tenant, {1} the service account). A
    /// page's grants are found on the grants' primary key alone — at an offset by an index-only scan that counts the rows
    /// skipped, from a remembered start by a range of it —, then only their apps are fetched: composed on <see cref="Sql"/>,
    /// an <c>OFFSET</c> would fetch every skipped app first (PostgreSQL applies it after the join). Every grant's app is
    /// the tenant's (migration GrantsWithinOneTenant; those made before it, GrantsAcrossTenantsRemoved deleted), so the
    /// count is exact.
    /// <para>
    /// The version is the tenant's apps' (<c>tenant_app_counts</c>: any app created or deleted, and so any grant deleted
    /// with its app) and the account's grants' (<c>service_account_grant_versions</c>, whose slots the grants' trigger
    /// rewrites in every transaction that grants or revokes while the app and the account stay: migration
    /// ServiceAccountGrantVersions).
    /// </para>
    /// </summary>
    public static readonly OffsetPageStatements Pages = PagesOf(
        OffsetPageStatements.SlotsVersion("tenant_app_counts", "tenant_id", "{0}") + " || '/' || " +
        OffsetPageStatements.SlotsVersion("service_account_grant_versions", "service_account_id", "{1}"));

    private static OffsetPageStatements PagesOf(string version)
    {
        const string atOffset =
            "SELECT {columns} FROM (SELECT s.app_id FROM app_grants s WHERE s.service_account_id = {1} " +
            "ORDER BY s.app_id OFFSET {2} LIMIT {3}) g " + TheApp;
        return new(
            Version: $"SELECT {version} AS \"Value\"",
            FromAnchor:
                "SELECT {columns} FROM (SELECT s.app_id FROM app_grants s WHERE s.service_account_id = {1} AND s.app_id >= {2} " +
                "ORDER BY s.app_id LIMIT {4}) g " + TheApp + $"WHERE {version} = {{3}} ORDER BY g.app_id",
            FromOffset: atOffset + "ORDER BY g.app_id",
            FromOffsetAtVersion: atOffset + $"WHERE {version} = {{4}} ORDER BY g.app_id",
            IdFrom: IdFrom);
    }

    public static IQueryable<App> Of(ProvisioningDbContext db, TenantId tenant, ServiceAccountId account) =>
        db.Apps.FromSqlRaw(WithColumns(db, Sql), tenant.Value, account.Value);

    private const string IdFrom = "g.\"app_id\"";

    private static string WithColumns(ProvisioningDbContext db, string sql) => EntityColumns.In<App>(db.Model, sql, IdFrom);
}
