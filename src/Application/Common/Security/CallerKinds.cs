using Provisioning.Domain.Common;
using Provisioning.Domain.Credentials;

namespace Provisioning.Application.Common.Security;

/// <summary>Kinds of credential a request can carry. Flags, so a route can allow several.</summary>
[Flags]
public enum CallerKinds
{
    None = 0,
    Account = 1,
    ServiceAccount = 2,
    App = 4,
    AccountOrServiceAccount = Account | ServiceAccount,
    All = Account | ServiceAccount | App,
}
