using Mediator;
using Microsoft.EntityFrameworkCore;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Exceptions;
using Provisioning.Application.Common.Security;
using Provisioning.Domain.Common;

namespace Provisioning.Application.Tenants.Queries.GetTenantTree;

/// <summary>
/// The tenant tree for the operator's <c>tenants</c> verb: status, budgets and own app counts, root first; with
/// <paramref name="Under"/> (a tenant's id, as the operator typed it) only that tenant and its subtree, indented from it.
/// </summary>
[SystemMessage]
public sealed record GetTenantTreeQuery(string? Under = null) : IQuery<IReadOnlyList<TenantTreeRow>>;

public sealed class GetTenantTreeQueryHandler(IProvisioningDbContext db, ITenantBudgets budgets)
    : IQueryHandler<GetTenantTreeQuery, IReadOnlyList<TenantTreeRow>>
{
    public async ValueTask<IReadOnlyList<TenantTreeRow>> Handle(GetTenantTreeQuery query, CancellationToken cancellationToken)
    {
        var tenants = db.Tenants.AsNoTracking();
        if (query.Under is { } under)
        {
            if (!IdGenerator.IsValid(under))
            {
                throw NotFoundException.Tenant(under); // the operator's words back: which one was not found
            }

            tenants = tenants.Where(t => t.Path.Contains(under));
        }

        var rows = await tenants.Select(t => new { t.Id, t.Name, t.Path, t.Status, t.MaxApps, t.MaxTenants }).ToListAsync(cancellationToken);
        if (query.Under is not null && rows.Count == 0)
        {
            throw NotFoundException.Tenant(query.Under);
        }

        var top = rows.Count == 0 ? 0 : rows.Min(t => t.Path.Count);
        var counts = await budgets.AppCountsAsync(cancellationToken);
        return [.. rows
            .OrderBy(t => string.Join('/', t.Path), StringComparer.Ordinal)
            .Select(t => new TenantTreeRow(t.Id.Value, t.Name, t.Path.Count - top, t.Status, t.MaxApps, t.MaxTenants,
                counts.GetValueOrDefault(t.Id.Value)))];
    }
}
