using Microsoft.EntityFrameworkCore;
using Provisioning.Domain.Apps;
using Provisioning.Domain.Audit;
using Provisioning.Domain.Common;
using Provisioning.Domain.Credentials;
using Provisioning.Domain.ServiceAccounts;
using Provisioning.Domain.Tenants;

namespace Provisioning.Application.Common.Abstractions;

/// <summary>The store, as handlers see it. Implemented by Infrastructure's EF Core context.</summary>
public interface IProvisioningDbContext
{
    DbSet<Tenant> Tenants { get; }
    DbSet<TenantUser> TenantUsers { get; }
    DbSet<App> Apps { get; }
    DbSet<ApiKey> ApiKeys { get; }
    DbSet<ProvisioningKey> ProvisioningKeys { get; }
    DbSet<ServiceAccount> ServiceAccounts { get; }
    DbSet<AppGrant> AppGrants { get; }

    /// <summary>Read-only here: events are written by <see cref="IAuditEventWriter"/> (with the COMMIT), never added to the context.</summary>
    IQueryable<AuditEvent> AuditEvents { get; }

    /// <summary>
    /// The apps of <paramref name="tenant"/> granted to <paramref name="account"/>: the same rows as <c>Apps</c> filtered
    /// by tenant and grant, but read from the grants, so that a page of them, first or deep, reads one page of rows
    /// however many apps the tenant holds (Infrastructure's GrantedApps says how).
    /// </summary>
    IQueryable<App> AppsGrantedTo(TenantId tenant, ServiceAccountId account);

    Task<int> SaveChangesAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Before a read-modify-write of a tracked row (a merge of metadata or settings): takes the row's lock for the rest of
    /// the transaction and reloads it, so that parallel merges apply one after another, each on the last one's result,
    /// instead of each on the row as it was read (all but one lost). A row deleted meanwhile is a 404. With
    /// <paramref name="reload"/> false (or an untracked row) it is only locked: what the request reads after this sees the
    /// latest committed data (read committed), for a lock that only serialises look-then-insert.
    /// </summary>
    Task LockForUpdateAsync(object entity, CancellationToken cancellationToken, bool reload = true);
}
