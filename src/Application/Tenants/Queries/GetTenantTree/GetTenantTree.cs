using Mediator;
using Microsoft.EntityFrameworkCore;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Security;

namespace Provisioning.Application.Tenants.Queries.GetTenantTree;

/// <summary>The whole tenant tree for the operator's <c>tenants</c> verb: status, budgets and own app counts, root first.</summary>
[SystemMessage]
public sealed record GetTenantTreeQuery : IQuery<IReadOnlyList<TenantTreeRow>>;

public sealed class GetTenantTreeQueryHandler(IProvisioningDbContext db, ITenantBudgets budgets)
    : IQueryHandler<GetTenantTreeQuery, IReadOnlyList<TenantTreeRow>>
{
    public async ValueTask<IReadOnlyList<TenantTreeRow>> Handle(GetTenantTreeQuery query, CancellationToken cancellationToken)
    {
        var tenants = await db.Tenants.AsNoTracking()
            .Select(t => new { t.Id, t.Name, t.Path, t.Status, t.MaxApps, t.MaxTenants })
            .ToListAsync(cancellationToken);
        var counts = await budgets.AppCountsAsync(cancellationToken);
        return [.. tenants
            .OrderBy(t => string.Join('/', t.Path), StringComparer.Ordinal)
            .Select(t => new TenantTreeRow(t.Id.Value, t.Name, t.Path.Count - 1, t.Status, t.MaxApps, t.MaxTenants,
                counts.GetValueOrDefault(t.Id.Value)))];
    }
}
