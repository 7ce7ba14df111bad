namespace Provisioning.Domain.Credentials;

/// <summary>Who a key speaks for. The id prefix tells the kind: act_, svc_, app_.</summary>
public enum KeyKind
{
    /// <summary><c>act_</c>: the tenant's own account key.</summary>
    Account = 1,

    /// <summary><c>svc_</c>: a key of one service account.</summary>
    ServiceAccount = 2,

    /// <summary><c>app_</c>: a key of one app.</summary>
    App = 3,
}
