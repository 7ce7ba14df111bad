using Mediator;
using Microsoft.EntityFrameworkCore;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Security;
using Provisioning.Domain.Common;

namespace Provisioning.Application.Tenants.Queries.GetTenantTree;

/// <summary>
/// The tenant tree for the operator's <c>tenants</c> verb: status, budgets and own app counts, root first; with
/// <paramref name="Under"/> (a tenant as the operator named it: <see cref="OperatorTenant"/>) only that tenant and its
/// subtree, indented from it.
/// </summary>
[SystemMessage]
public sealed record GetTenantTreeQuery(string? Under = null) : IQuery<IReadOnlyList<TenantTreeRow>>;

public sealed class GetTenantTreeQueryHandler(IProvisioningDbContext db, ITenantBudgets budgets)
    : IQueryHandler<GetTenantTreeQuery, IReadOnlyList<TenantTreeRow>>
{
    public async ValueTask<IReadOnlyList<TenantTreeRow>> Handle(GetTenantTreeQuery query, CancellationToken cancellationToken)
    {
        var tenants = db.Tenants.AsNoTracking();
        TenantId? top = null;
        if (query.Under is { } under)
        {
            top = (await db.Tenants.NamedByOperatorAsync(under, cancellationToken)).Id;
            tenants = tenants.Where(CallerScope.InSubtreeOf(top.Value.Value));
        }

        var rows = await tenants.Select(t => new { t.Id, t.Name, t.Path, t.Status, t.SuspendedBy, t.MaxApps, t.MaxTenants, t.ParentId }).ToListAsync(cancellationToken);
        var depth = rows.Count == 0 ? 0 : rows.Min(t => t.Path.Count);
        var counts = await budgets.AppCountsAsync(top, cancellationToken); // the subtree's counters only, under a tenant
        return [.. rows
            .OrderBy(t => string.Join('/', t.Path), StringComparer.Ordinal)
            .Select(t => new TenantTreeRow(t.Id.Value, t.Name, t.Path.Count - depth, t.Status, t.MaxApps, t.MaxTenants,
                counts.GetValueOrDefault(t.Id.Value), t.ParentId == null, t.SuspendedBy?.Value))];
    }
}
