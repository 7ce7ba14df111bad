using Microsoft.EntityFrameworkCore;
using Provisioning.Application.Common.Abstractions;

namespace Provisioning.Infrastructure.Persistence;

internal sealed class TenantLocks(ProvisioningDbContext db) : ITenantLocks
{
    public async Task LockAsync(Domain.Common.TenantId tenantId, CancellationToken cancellationToken)
    {
        if (db.Database.CurrentTransaction is null)
        {
            throw new InvalidOperationException("A tenant lock needs a transaction; send the work as a command.");
        }

        await db.Database.ExecuteSqlInterpolatedAsync($"SELECT 1 FROM tenants WHERE id = {tenantId.Value} FOR UPDATE", cancellationToken);
    }
}
