namespace Provisioning.Domain.Credentials;

/// <summary>
/// The <c>scope</c> claim of a JWT signed with a key: <c>account</c> for account and service-account keys,
/// <c>app</c> for app keys (Sunshine's rule). A token whose scope does not match its key's kind is refused.
/// </summary>
public static class JwtScope
{
    public const string Account = "account";
    public const string App = "app";

    public static string For(KeyKind kind) => kind == KeyKind.App ? App : Account;
}
