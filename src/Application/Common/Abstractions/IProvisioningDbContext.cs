using Microsoft.EntityFrameworkCore;
using Provisioning.Domain.Apps;
using Provisioning.Domain.Audit;
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

    Task<int> SaveChangesAsync(CancellationToken cancellationToken = default);
}
