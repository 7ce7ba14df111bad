using Provisioning.Domain.Common;

namespace Provisioning.Domain.ServiceAccounts;

/// <summary>A service account's access to one app of its tenant.</summary>
public sealed class AppGrant
{
    private AppGrant()
    {
    }

    public ServiceAccountId ServiceAccountId { get; private set; }
    public AppId AppId { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }

    public static AppGrant Create(ServiceAccountId account, AppId app, DateTimeOffset now) =>
        new() { ServiceAccountId = account, AppId = app, CreatedAt = now };
}
