using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Domain.Tenants;
using Provisioning.Infrastructure.Persistence.Configurations;

namespace Provisioning.Infrastructure.Persistence;

/// <summary>
/// <see cref="ITenantViewReads"/> as one statement of four scalar subqueries, each on its own index: the ancestors by
/// primary key (root first: by depth), the counter slots of <c>tenant_app_counts</c> (as <see cref="TenantBudgets"/>
/// keeps them), the users by <c>(tenant_id, email)</c>, and one step down <c>audit_events</c>' <c>(tenant_id, id)</c>
/// index. Run on the request's connection and transaction, so a command reading its own tenant back sees its own writes.
/// </summary>
internal sealed class TenantViewReads(ProvisioningDbContext db) : ITenantViewReads
{
    public async Task<TenantViewData> ReadAsync(Tenant tenant, CancellationToken cancellationToken)
    {
        var ancestors = tenant.Path.SkipLast(1).ToArray();
        var row = await db.Database.SqlQuery<Row>(
                $"""
                SELECT
                  (SELECT coalesce(json_agg(a.own_settings ORDER BY cardinality(a.path)), '[]')::text
                     FROM tenants a WHERE a.id = ANY({ancestors})) AS ancestor_settings,
                  (SELECT coalesce(sum(c.apps), 0)::int FROM tenant_app_counts c WHERE c.tenant_id = {tenant.Id.Value}) AS app_count,
                  (SELECT coalesce(json_agg(u.email ORDER BY u.email), '[]')::text
                     FROM tenant_users u WHERE u.tenant_id = {tenant.Id.Value}) AS users,
                  (SELECT e.created_at FROM audit_events e WHERE e.tenant_id = {tenant.Id.Value}
                     ORDER BY e.id DESC LIMIT 1) AS last_event_at
                """)
            .SingleAsync(cancellationToken);

        var layers = JsonSerializer.Deserialize<List<JsonElement>>(row.AncestorSettings) ?? [];
        return new TenantViewData(
            layers.Select(l => TenantConfiguration.ReadSettings(l.GetRawText())).ToList(),
            row.AppCount,
            JsonSerializer.Deserialize<List<string>>(row.Users) ?? [],
            row.LastEventAt);
    }

    private sealed record Row(string AncestorSettings, int AppCount, string Users, DateTimeOffset? LastEventAt);
}
