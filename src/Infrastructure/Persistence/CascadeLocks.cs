using Microsoft.EntityFrameworkCore;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Domain.Common;

namespace Provisioning.Infrastructure.Persistence;

internal sealed class CascadeLocks(ProvisioningDbContext db) : ICascadeLocks
{
    /// <summary>The deletions' advisory lock space: a resource's key is <c>hashtextextended(id, DeletionLock)</c>.</summary>
    private const long DeletionLock = 0x5052_4F56_4445_4C45; // "PROVDELE"

    public Task WaitForDeletionsAsync(TenantId tenant, string deleted, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlInterpolatedAsync(
            $"""
            SELECT pg_advisory_xact_lock_shared(hashtextextended(p.id, {DeletionLock}))
            FROM unnest((SELECT path FROM tenants WHERE id = {tenant.Value})) WITH ORDINALITY AS p(id, n)
            WHERE p.id <> {deleted} ORDER BY p.n;
            SELECT pg_advisory_xact_lock(hashtextextended({deleted}, {DeletionLock}));
            """, cancellationToken);

    public Task LockGrantsOfAppAsync(AppId app, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlInterpolatedAsync(
            $"SELECT 1 FROM app_grants WHERE app_id = {app.Value} ORDER BY service_account_id FOR UPDATE", cancellationToken);

    public Task LockGrantsOfSubtreeAsync(TenantId tenant, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlInterpolatedAsync(
            $"""
            SELECT 1 FROM app_grants g JOIN apps a ON a.id = g.app_id
            WHERE a.tenant_id IN (SELECT t.id FROM tenants t WHERE t.path @> ARRAY[{tenant.Value}]::text[])
            ORDER BY g.app_id, g.service_account_id FOR UPDATE OF g
            """, cancellationToken);

    public Task LockTenantsAndAccountsOfSubtreeAsync(TenantId tenant, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlInterpolatedAsync(
            $"""
            SELECT 1 FROM tenants WHERE path @> ARRAY[{tenant.Value}]::text[] ORDER BY cardinality(path), id FOR UPDATE;
            SELECT 1 FROM service_accounts
            WHERE tenant_id IN (SELECT t.id FROM tenants t WHERE t.path @> ARRAY[{tenant.Value}]::text[])
            ORDER BY id FOR UPDATE
            """, cancellationToken);

    public Task LockGrantsOfServiceAccountAsync(ServiceAccountId serviceAccount, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlInterpolatedAsync(
            $"SELECT 1 FROM app_grants WHERE service_account_id = {serviceAccount.Value} ORDER BY app_id FOR UPDATE", cancellationToken);
}
