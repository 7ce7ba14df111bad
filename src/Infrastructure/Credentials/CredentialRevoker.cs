using Microsoft.EntityFrameworkCore;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Domain.Credentials;
using Provisioning.Infrastructure.Persistence;

namespace Provisioning.Infrastructure.Credentials;

/// <summary>
/// Evicts revoked keys here at once and again after commit (so a request racing with the deletion
/// cannot cache them anew), and queues a PostgreSQL notification in the same transaction: it is
/// delivered to every instance's <see cref="CredentialRevocationListener"/> when, and only if, the
/// deletion commits.
/// </summary>
internal sealed class CredentialRevoker(ProvisioningDbContext db, IUnitOfWork unitOfWork, CachedCredentialStore cache) : ICredentialRevoker
{
    public const string Channel = "provisioning_credentials_revoked";

    /// <summary>Notification payloads are limited to 8000 bytes; key ids are 28 characters.</summary>
    private const int IdsPerNotification = 200;

    public async Task RevokeAsync(IReadOnlyCollection<KeyId> keyIds, CancellationToken cancellationToken)
    {
        foreach (var keyId in keyIds)
        {
            cache.Evict(keyId);
            unitOfWork.AfterCommit(() => cache.Evict(keyId));
        }

        foreach (var chunk in keyIds.Chunk(IdsPerNotification))
        {
            var payload = string.Join(',', chunk.Select(k => k.Value));
            await db.Database.ExecuteSqlInterpolatedAsync($"SELECT pg_notify({Channel}, {payload})", cancellationToken);
        }
    }
}
